package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/livechat"
)

// savedReplyRoutes: the team's canned answers, inserted in the composer by
// typing `/` and a shortcut. Every agent may manage them: they are a
// working tool of the team, not a setting.
func (s *Server) savedReplyRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/savedReplies", access: agent, tag: "savedReplies", summary: "List saved replies, by shortcut", resp: livechat.SavedReply{}, list: true, handler: s.listSavedReplies},
		{method: "GET", path: "/api/v1/savedReplies/:id", access: agent, tag: "savedReplies", summary: "Get a saved reply", resp: livechat.SavedReply{}, handler: getOne(s, intID, s.live.GetSavedReply)},
		{method: "POST", path: "/api/v1/savedReplies", access: agent, tag: "savedReplies", summary: "Add a saved reply (shortcut: one word, unique)", body: livechat.SavedReplyInput{}, resp: livechat.SavedReply{}, handler: s.postSavedReply},
		{method: "PATCH", path: "/api/v1/savedReplies/:id", access: agent, tag: "savedReplies", summary: "Change a saved reply's shortcut or text", body: livechat.SavedReplyInput{}, resp: livechat.SavedReply{}, handler: s.patchSavedReply},
		{method: "DELETE", path: "/api/v1/savedReplies/:id", access: agent, tag: "savedReplies", summary: "Delete a saved reply", resp: idResult{}, handler: s.deleteSavedReply},
	}
}

func (s *Server) listSavedReplies(c *gin.Context) {
	rs, err := s.live.ListSavedReplies(c.Request.Context())
	s.respondList(c, rs, allPage(len(rs)), err)
}

func (s *Server) postSavedReply(c *gin.Context) {
	var in livechat.SavedReplyInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.live.CreateSavedReply(c.Request.Context(), in)
	s.respond(c, http.StatusCreated, r, err)
}

func (s *Server) patchSavedReply(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in livechat.SavedReplyInput
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.live.UpdateSavedReply(c.Request.Context(), id, in)
	s.respond(c, http.StatusOK, r, err)
}

func (s *Server) deleteSavedReply(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	err = s.live.DeleteSavedReply(c.Request.Context(), id)
	s.respond(c, http.StatusOK, idResult{ID: id}, err)
}

// settingsRoutes: how live chat behaves in the workspace (admins).
func (s *Server) settingsRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/livechat/settings", access: admin, tag: "settings", summary: "Live chat settings (auto-return)", resp: livechat.Settings{}, handler: s.getLiveSettings},
		{method: "PATCH", path: "/api/v1/livechat/settings", access: admin, tag: "settings", summary: "Change live chat settings; auto_return_seconds: 0 (never) or 60–86400", body: livechat.SettingsPatch{}, resp: livechat.Settings{}, handler: s.patchLiveSettings},
	}
}

func (s *Server) getLiveSettings(c *gin.Context) {
	st, err := s.live.Settings(c.Request.Context())
	s.respond(c, http.StatusOK, st, err)
}

func (s *Server) patchLiveSettings(c *gin.Context) {
	var in livechat.SettingsPatch
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.live.UpdateSettings(c.Request.Context(), in)
	s.respond(c, http.StatusOK, st, err)
}

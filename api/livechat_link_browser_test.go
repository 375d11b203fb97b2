package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/schema/schematest"
)

// TestBrowserLiveChatLink: the CRM's "Open the chat" link,
// /app/livechat?c=ID, opens that conversation in the folder that holds it
// (Mine or Closed while the page starts on Unassigned), a reload keeps it,
// and selecting another chat puts that one in the URL.
func TestBrowserLiveChatLink(t *testing.T) {
	e := newLiveEnv(t, schematest.SQLite(t), true)
	ann := e.newAgent("ann")

	// Three chats, seeded through the runtime as in TestBrowserLiveChatStory:
	// one waiting in Unassigned, one of Ann's (Mine), one closed.
	vw := e.newVisitor()
	waiting := vw.startLiveChat("Wanda Waiting", "wanda@example.com", "Acme")
	vw.say("Is anyone there?")
	vm := e.newVisitor()
	mine := vm.startLiveChat("Mona Mine", "mona@example.com", "Globex")
	if _, err := e.live.Assign(e.ctx, mine.ID, ann.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	vm.say("My order 4711 is late")
	vc := e.newVisitor()
	closed := vc.startLiveChat("Cleo Closed", "cleo@example.com", "Initech")
	if _, err := e.live.Assign(e.ctx, closed.ID, ann.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	vc.say("All sorted, thanks")
	if _, err := e.live.Close(e.ctx, closed.ID, ann.ID); err != nil {
		t.Fatal(err)
	}

	ctx := e.agentPage(t, "ann@example.com")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v%s", what, err, pageText(ctx))
		}
	}
	// showing: the chat id is open in folder, its timeline has text, and
	// the URL names it.
	showing := func(id, folder, text string) chromedp.Action[chromedp.Void] {
		return poll(fmt.Sprintf(`document.querySelector(".lc-folder.on")?.dataset.folder === %s
			&& document.querySelector(".lc-item.on")?.dataset.id === %s
			&& [...document.querySelectorAll(".lc-timeline .lc-msg.visitor .lc-bubble")].some((b) => b.textContent === %s)
			&& new URLSearchParams(location.search).get("c") === %s`, jsString(folder), jsString(id), jsString(text), jsString(id)))
	}

	run("the page starts on Unassigned", poll(`document.querySelector(".lc-folder.on")?.dataset.folder === "unassigned" && document.querySelector(".lc-item[data-id='`+waiting.ID+`']")`))
	run("open Ann's chat by its link",
		chromedp.Navigate(e.srv.URL+"/app/livechat?c="+mine.ID),
		showing(mine.ID, "mine", "My order 4711 is late"))
	if s := textOf(t, ctx, ".lc-title"); s != "Mona Mine" {
		t.Errorf("title %q", s)
	}
	run("a reload keeps it", chromedp.Reload(), showing(mine.ID, "mine", "My order 4711 is late"))

	run("a closed chat's link opens Closed",
		chromedp.Navigate(e.srv.URL+"/app/livechat?c="+closed.ID),
		showing(closed.ID, "closed", "All sorted, thanks"))

	// Selecting another chat puts it in the URL, replacing it (no history
	// entry); a reload reopens it.
	depth := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`history.length`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := depth()
	run("select the waiting chat",
		chromedp.Click(chromedp.CSS(`.lc-folder[data-folder=unassigned]`)),
		chromedp.Click(chromedp.CSS(`.lc-item[data-id="`+waiting.ID+`"]`)),
		showing(waiting.ID, "unassigned", "Is anyone there?"))
	if n := depth(); n != before {
		t.Errorf("history grew from %d to %d entries on selecting a chat", before, n)
	}
	run("a reload keeps the selected chat", chromedp.Reload(), showing(waiting.ID, "unassigned", "Is anyone there?"))
}

package api_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley/parley/crm"
)

func dealID(d crm.Deal) int64 { return d.ID }

func TestDefaultPipeline(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		pls, pg := listOf[crm.Pipeline](t, e, "/api/v1/pipelines")
		if len(pls) != 1 || pls[0].Name != crm.DefaultPipelineName || pg.More {
			t.Fatalf("pipelines %+v", pls)
		}
		var pl crm.Pipeline
		e.get(t, fmt.Sprintf("/api/v1/pipelines/%d", pls[0].ID), &pl)
		if pl != pls[0] {
			t.Fatalf("get %+v, listed %+v", pl, pls[0])
		}
		stages, _ := listOf[crm.Stage](t, e, fmt.Sprintf("/api/v1/stages?pipeline_id=%d&sort=order_nr%%20ASC", pl.ID))
		want := []string{"Qualified", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"}
		names := idsOf(stages, func(s crm.Stage) string { return s.Name })
		if !slices.Equal(names, want) {
			t.Fatalf("stages %v, want %v", names, want)
		}
		for i, st := range stages {
			if st.PipelineID != pl.ID || (i > 0 && st.OrderNr <= stages[i-1].OrderNr) {
				t.Fatalf("stage %d: %+v", i, st)
			}
		}
		// Calling it again (another server starting) adds nothing.
		if _, err := e.crm.EnsureDefaultPipeline(t.Context()); err != nil {
			t.Fatal(err)
		}
		pls, _ = listOf[crm.Pipeline](t, e, "/api/v1/pipelines")
		all, _ := listOf[crm.Stage](t, e, "/api/v1/stages")
		if len(pls) != 1 || len(all) != 5 {
			t.Fatalf("after a second EnsureDefaultPipeline: %d pipelines, %d stages", len(pls), len(all))
		}
	})
}

func TestPipelinesAndStagesLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var pl crm.Pipeline
		e.create(t, e.adminToken, "/api/v1/pipelines", map[string]any{"name": "Partners", "stages": []string{"Intro", "Signed"}}, &pl)
		stages, _ := listOf[crm.Stage](t, e, fmt.Sprintf("/api/v1/stages?pipeline_id=%d", pl.ID))
		if len(stages) != 2 || stages[0].Name != "Intro" || stages[1].Name != "Signed" {
			t.Fatalf("stages %+v", stages)
		}
		var st crm.Stage
		e.create(t, e.adminToken, "/api/v1/stages", map[string]any{"name": "Onboarding", "pipeline_id": pl.ID}, &st)
		if st.PipelineID != pl.ID || st.OrderNr <= stages[1].OrderNr {
			t.Fatalf("appended stage %+v after %+v", st, stages[1])
		}
		var got crm.Stage
		e.get(t, fmt.Sprintf("/api/v1/stages/%d", st.ID), &got)
		if got != st {
			t.Fatalf("get %+v, created %+v", got, st)
		}
		expectField(t, e.asAdmin("POST", "/api/v1/stages", map[string]any{"name": "Lost", "pipeline_id": 999}), 422, "pipeline_id")
		expectField(t, e.asAdmin("POST", "/api/v1/pipelines", map[string]any{"name": "X", "stages": []string{"ok", " "}}), 422, "stages[1]")
		expectField(t, e.asAgent("GET", "/api/v1/stages?pipeline_id=abc", nil), 400, "pipeline_id")

		res := e.asAdmin("PATCH", fmt.Sprintf("/api/v1/stages/%d", st.ID), map[string]any{"name": "Onboarded", "order_nr": 9})
		expect(t, res, 200)
		res.data(t, &got)
		if got.Name != "Onboarded" || got.OrderNr != 9 || got.PipelineID != pl.ID {
			t.Fatalf("patched stage %+v", got)
		}
		var plGot crm.Pipeline
		res = e.asAdmin("PATCH", fmt.Sprintf("/api/v1/pipelines/%d", pl.ID), map[string]any{"name": "Partner deals"})
		expect(t, res, 200)
		res.data(t, &plGot)
		if plGot.Name != "Partner deals" || plGot.ID != pl.ID {
			t.Fatalf("patched pipeline %+v", plGot)
		}
		expect(t, e.asAdmin("PATCH", "/api/v1/pipelines/999", map[string]any{"name": "x"}), 404)
		expectField(t, e.asAdmin("PATCH", fmt.Sprintf("/api/v1/pipelines/%d", pl.ID), map[string]any{"name": ""}), 422, "name")

		// A stage or pipeline with deals stays.
		var d crm.Deal
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "D", "stage_id": stages[0].ID}, &d)
		expectField(t, e.asAdmin("DELETE", fmt.Sprintf("/api/v1/stages/%d", stages[0].ID), nil), 409, "")
		expectField(t, e.asAdmin("DELETE", fmt.Sprintf("/api/v1/pipelines/%d", pl.ID), nil), 409, "")
		// Moving a stage to another pipeline moves its deals along.
		def, _ := listOf[crm.Pipeline](t, e, "/api/v1/pipelines?sort=id")
		res = e.asAdmin("PATCH", fmt.Sprintf("/api/v1/stages/%d", stages[0].ID), map[string]any{"pipeline_id": def[0].ID})
		expect(t, res, 200)
		var moved crm.Deal
		e.get(t, fmt.Sprintf("/api/v1/deals/%d", d.ID), &moved)
		if moved.PipelineID != def[0].ID || moved.StageID != stages[0].ID {
			t.Fatalf("deal did not follow its stage: %+v", moved)
		}

		expectDeleted(t, e, fmt.Sprintf("/api/v1/stages/%d", st.ID), st.ID)
		expectDeleted(t, e, fmt.Sprintf("/api/v1/pipelines/%d", pl.ID), pl.ID)
		if left, _ := listOf[crm.Stage](t, e, fmt.Sprintf("/api/v1/stages?pipeline_id=%d", pl.ID)); len(left) != 0 {
			t.Fatalf("stages of a deleted pipeline: %+v", left)
		}
		expect(t, e.asAgent("GET", fmt.Sprintf("/api/v1/stages/%d", stages[1].ID), nil), 404)
	})
}

func TestDealsLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		def, _ := listOf[crm.Pipeline](t, e, "/api/v1/pipelines")
		defStages, _ := listOf[crm.Stage](t, e, fmt.Sprintf("/api/v1/stages?pipeline_id=%d&sort=order_nr", def[0].ID))
		var partners crm.Pipeline
		e.create(t, e.adminToken, "/api/v1/pipelines", map[string]any{"name": "Partners", "stages": []string{"Intro", "Signed"}}, &partners)
		pStages, _ := listOf[crm.Stage](t, e, fmt.Sprintf("/api/v1/stages?pipeline_id=%d&sort=order_nr", partners.ID))
		var org crm.Organization
		e.create(t, e.agentToken, "/api/v1/organizations", map[string]any{"name": "Acme"}, &org)
		var p crm.Person
		e.create(t, e.agentToken, "/api/v1/persons", map[string]any{"name": "Jane", "org_id": org.ID}, &p)

		// Where a new deal goes.
		var d1, d2, d3 crm.Deal
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "Default", "value": 1200, "person_id": p.ID, "org_id": org.ID}, &d1)
		if d1.PipelineID != def[0].ID || d1.StageID != defStages[0].ID || d1.Status != crm.DealOpen || d1.Currency != crm.DefaultCurrency ||
			d1.Value != 1200 || d1.WonTime != nil || d1.LostTime != nil || d1.OwnerID == nil || *d1.OwnerID != e.agent.ID {
			t.Fatalf("default deal %+v", d1)
		}
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "Pipeline only", "pipeline_id": partners.ID, "owner_id": e.admin.ID}, &d2)
		if d2.PipelineID != partners.ID || d2.StageID != pStages[0].ID {
			t.Fatalf("pipeline-only deal %+v, want stage %d", d2, pStages[0].ID)
		}
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "Stage wins", "pipeline_id": def[0].ID, "stage_id": pStages[1].ID}, &d3)
		if d3.PipelineID != partners.ID || d3.StageID != pStages[1].ID {
			t.Fatalf("stage_id must win over pipeline_id: %+v", d3)
		}
		var got crm.Deal
		e.get(t, fmt.Sprintf("/api/v1/deals/%d", d3.ID), &got)
		if got.ID != d3.ID || got.StageID != pStages[1].ID || got.PipelineID != partners.ID {
			t.Fatalf("get %+v", got)
		}

		// Won and lost times follow the status.
		before := time.Now().Add(-time.Minute)
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"status": "won"}, &got)
		if got.Status != crm.DealWon || got.WonTime == nil || got.WonTime.Before(before) || got.LostTime != nil {
			t.Fatalf("won %+v", got)
		}
		wonAt := *got.WonTime
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"title": "Default deal"}, &got)
		if got.WonTime == nil || !got.WonTime.Equal(wonAt) {
			t.Fatalf("won_time moved on an unrelated change: %v, was %v", got.WonTime, wonAt)
		}
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"status": "lost", "lost_reason": "price"}, &got)
		if got.Status != crm.DealLost || got.LostTime == nil || got.WonTime != nil || got.LostReason != "price" {
			t.Fatalf("lost %+v", got)
		}
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"status": "open"}, &got)
		if got.Status != crm.DealOpen || got.LostTime != nil || got.WonTime != nil || got.LostReason != "" {
			t.Fatalf("reopened %+v", got)
		}
		var won crm.Deal
		e.create(t, e.agentToken, "/api/v1/deals", map[string]any{"title": "Won already", "status": "won", "person_id": p.ID}, &won)
		if won.WonTime == nil || won.LostTime != nil {
			t.Fatalf("created won %+v", won)
		}
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d2.ID), map[string]any{"status": "lost"}, &got)

		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"", []int64{d1.ID, d2.ID, d3.ID, won.ID}},
			{"?status=all_not_deleted", []int64{d1.ID, d2.ID, d3.ID, won.ID}},
			{"?status=open", []int64{d1.ID, d3.ID}},
			{"?status=won", []int64{won.ID}},
			{"?status=lost", []int64{d2.ID}},
			{fmt.Sprintf("?stage_id=%d", pStages[1].ID), []int64{d3.ID}},
			{fmt.Sprintf("?pipeline_id=%d", partners.ID), []int64{d2.ID, d3.ID}},
			{fmt.Sprintf("?pipeline_id=%d&status=open", partners.ID), []int64{d3.ID}},
			{fmt.Sprintf("?person_id=%d", p.ID), []int64{d1.ID, won.ID}},
			{fmt.Sprintf("?org_id=%d", org.ID), []int64{d1.ID}},
			{fmt.Sprintf("?owner_id=%d", e.admin.ID), []int64{d2.ID}},
			{"?sort=value%20DESC&status=open", []int64{d1.ID, d3.ID}},
		} {
			ds, _ := listOf[crm.Deal](t, e, "/api/v1/deals"+c.query)
			if got := idsOf(ds, dealID); !slices.Equal(got, c.want) {
				t.Errorf("deals%s = %v, want %v", c.query, got, c.want)
			}
		}
		expectField(t, e.asAgent("GET", "/api/v1/deals?status=deleted", nil), 400, "status")
		expectField(t, e.asAgent("GET", "/api/v1/deals?stage_id=first", nil), 400, "stage_id")

		// Moving and clearing.
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"stage_id": defStages[2].ID, "person_id": nil, "expected_close_date": "2027-03-01"}, &got)
		if got.StageID != defStages[2].ID || got.PipelineID != def[0].ID || got.PersonID != nil || got.OrgID == nil ||
			got.ExpectedCloseDate == nil || *got.ExpectedCloseDate != "2027-03-01" {
			t.Fatalf("moved %+v", got)
		}
		e.patch(t, fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"pipeline_id": partners.ID, "expected_close_date": nil, "org_id": nil}, &got)
		if got.StageID != pStages[0].ID || got.PipelineID != partners.ID || got.ExpectedCloseDate != nil || got.OrgID != nil {
			t.Fatalf("moved to pipeline %+v", got)
		}
		expectField(t, e.asAgent("PATCH", fmt.Sprintf("/api/v1/deals/%d", d1.ID), map[string]any{"stage_id": 999}), 422, "stage_id")

		expectDeleted(t, e, fmt.Sprintf("/api/v1/deals/%d", d2.ID), d2.ID)
		ds, _ := listOf[crm.Deal](t, e, "/api/v1/deals")
		if got := idsOf(ds, dealID); !slices.Equal(got, []int64{d1.ID, d3.ID, won.ID}) {
			t.Fatalf("after delete %v", got)
		}
	})
}

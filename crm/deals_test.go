package crm_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/parley/parley/crm"
)

func TestDefaultPipeline(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		const n = 8
		var wg sync.WaitGroup
		ids := make([]int64, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pl, err := m.EnsureDefaultPipeline(ctx)
				ids[i], errs[i] = pl.ID, err
			}()
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("caller %d: %d %v (first %d)", i, ids[i], errs[i], ids[0])
			}
		}
		pls, _, err := m.ListPipelines(ctx, crm.ListParams{})
		if err != nil || len(pls) != 1 || pls[0].Name != crm.DefaultPipelineName {
			t.Fatalf("pipelines %+v %v", pls, err)
		}
		again := must[crm.Pipeline](t)(m.EnsureDefaultPipeline(ctx))
		if again.ID != pls[0].ID {
			t.Fatal("second call created another pipeline")
		}
		sts, _, err := m.ListStages(ctx, crm.StageFilter{PipelineID: &again.ID}, crm.ListParams{Sort: "order_nr"})
		if err != nil || len(sts) != 5 {
			t.Fatalf("stages %+v %v", sts, err)
		}
		for i, name := range crm.DefaultStageNames() {
			if sts[i].Name != name || sts[i].OrderNr != i+1 {
				t.Fatalf("stage %d = %+v", i, sts[i])
			}
		}
	})
}

func TestPipelinesStagesDeals(t *testing.T) {
	eachCRM(t, func(t *testing.T, ctx context.Context, m *crm.Manager) {
		owner := mkUser(t, m, crm.RoleAgent)
		person := must[crm.Person](t)(m.CreatePerson(ctx, crm.PersonInput{Name: "Ann"}))

		// No pipeline yet: a deal goes to the default pipeline's first stage.
		d := must[crm.Deal](t)(m.CreateDeal(ctx, crm.DealInput{Title: "First", PersonID: &person.ID}))
		def := must[crm.Pipeline](t)(m.EnsureDefaultPipeline(ctx))
		first := must[crm.Stage](t)(m.GetStage(ctx, d.StageID))
		if d.PipelineID != def.ID || first.Name != "Qualified" || d.Status != crm.DealOpen || d.Currency != crm.DefaultCurrency {
			t.Fatalf("default placement %+v", d)
		}

		other := must[crm.Pipeline](t)(m.CreatePipeline(ctx, crm.PipelineInput{Name: "Partners", Stages: []string{"Intro", "Signed"}}))
		if other.OrderNr != 2 {
			t.Fatalf("order_nr %d", other.OrderNr)
		}
		oStages, _, _ := m.ListStages(ctx, crm.StageFilter{PipelineID: &other.ID}, crm.ListParams{Sort: "order_nr"})
		signed := oStages[1]

		// stage_id wins over pipeline_id.
		d2 := must[crm.Deal](t)(m.CreateDeal(ctx, crm.DealInput{Title: "Big", Value: ptrF(1500.5), Currency: "eur",
			PipelineID: &def.ID, StageID: &signed.ID, OwnerID: &owner.ID}))
		if d2.StageID != signed.ID || d2.PipelineID != other.ID || d2.Currency != "EUR" || d2.Value != 1500.5 {
			t.Fatalf("stage wins: %+v", d2)
		}
		// pipeline_id alone: its first stage.
		d3 := must[crm.Deal](t)(m.CreateDeal(ctx, crm.DealInput{Title: "Partner", PipelineID: &other.ID}))
		if d3.StageID != oStages[0].ID {
			t.Fatalf("pipeline's first stage: %+v", d3)
		}

		_, err := m.CreateDeal(ctx, crm.DealInput{Title: "", Currency: "EURO", Status: "maybe", StageID: p64(99),
			PersonID: p64(98), OwnerID: p64(97), ExpectedCloseDate: pstr("next week"), Value: ptrF(-1)})
		wantFields(t, err, "title", "currency", "status", "person_id", "owner_id", "expected_close_date", "value")
		wantMessage(t, err, "currency", "must be a 3-letter ISO code")
		_, err = m.CreateDeal(ctx, crm.DealInput{Title: "x", StageID: p64(99)})
		wantMessage(t, err, "stage_id", "no stage 99")
		_, err = m.CreateDeal(ctx, crm.DealInput{Title: "x", PipelineID: p64(99)})
		wantMessage(t, err, "pipeline_id", "no pipeline 99")

		// Won and lost times follow the status.
		won := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, crm.DealPatch{Status: pstr(crm.DealWon)}))
		if won.WonTime == nil || won.LostTime != nil {
			t.Fatalf("won %+v", won)
		}
		lost := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, crm.DealPatch{Status: pstr(crm.DealLost), LostReason: pstr("Too expensive")}))
		if lost.WonTime != nil || lost.LostTime == nil || lost.LostReason != "Too expensive" {
			t.Fatalf("lost %+v", lost)
		}
		same := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, crm.DealPatch{Title: pstr("Renamed")}))
		if !same.LostTime.Equal(*lost.LostTime) || same.Title != "Renamed" {
			t.Fatalf("unrelated patch moved lost_time: %+v", same)
		}
		open := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, crm.DealPatch{Status: pstr(crm.DealOpen)}))
		if open.WonTime != nil || open.LostTime != nil || open.LostReason != "" {
			t.Fatalf("reopened %+v", open)
		}

		// Moving: a stage moves the pipeline too; JSON null clears person.
		var patch crm.DealPatch
		if err := json.Unmarshal([]byte(`{"stage_id": `+itoa(signed.ID)+`, "person_id": null, "expected_close_date": "2026-12-31"}`), &patch); err != nil {
			t.Fatal(err)
		}
		moved := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, patch))
		if moved.StageID != signed.ID || moved.PipelineID != other.ID || moved.PersonID != nil || *moved.ExpectedCloseDate != "2026-12-31" {
			t.Fatalf("moved %+v", moved)
		}
		back := must[crm.Deal](t)(m.UpdateDeal(ctx, d.ID, crm.DealPatch{PipelineID: &def.ID}))
		if back.PipelineID != def.ID || back.StageID != first.ID {
			t.Fatalf("back %+v", back)
		}
		_, err = m.UpdateDeal(ctx, d.ID, crm.DealPatch{StageID: p64(12345)})
		wantMessage(t, err, "stage_id", "no stage 12345")

		// Filters.
		count := func(f crm.DealFilter) int {
			t.Helper()
			ds, _, err := m.ListDeals(ctx, f, crm.ListParams{})
			if err != nil {
				t.Fatal(err)
			}
			return len(ds)
		}
		must[crm.Deal](t)(m.UpdateDeal(ctx, d3.ID, crm.DealPatch{Status: pstr(crm.DealWon)}))
		for name, c := range map[string]struct {
			f    crm.DealFilter
			want int
		}{
			"all":      {crm.DealFilter{}, 3},
			"won":      {crm.DealFilter{Status: "won"}, 1},
			"open":     {crm.DealFilter{Status: "open"}, 2},
			"pipeline": {crm.DealFilter{PipelineID: &other.ID}, 2},
			"stage":    {crm.DealFilter{StageID: &signed.ID}, 1},
			"owner":    {crm.DealFilter{OwnerID: &owner.ID}, 1},
			"person":   {crm.DealFilter{PersonID: &person.ID}, 0},
		} {
			if got := count(c.f); got != c.want {
				t.Fatalf("filter %s: %d, want %d", name, got, c.want)
			}
		}
		if _, _, err := m.ListDeals(ctx, crm.DealFilter{Status: "deleted"}, crm.ListParams{}); err == nil {
			t.Fatal("bad status filter accepted")
		}
		ds, _, _ := m.ListDeals(ctx, crm.DealFilter{}, crm.ListParams{Sort: "value DESC"})
		if ds[0].ID != d2.ID {
			t.Fatalf("sort by value: %+v", ds[0])
		}

		// A pipeline or stage with deals cannot go.
		if err := m.DeletePipeline(ctx, other.ID); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("delete pipeline with deals: %v", err)
		}
		if err := m.DeleteStage(ctx, signed.ID); !errors.Is(err, crm.ErrConflict) {
			t.Fatalf("delete stage with deals: %v", err)
		}
		must[crm.Stage](t)(m.UpdateStage(ctx, signed.ID, crm.StagePatch{PipelineID: &def.ID, Name: pstr("Signed!")}))
		if got := must[crm.Deal](t)(m.GetDeal(ctx, d2.ID)); got.PipelineID != def.ID {
			t.Fatalf("deals follow their stage: %+v", got)
		}
		for _, id := range []int64{d.ID, d2.ID, d3.ID} {
			if err := m.DeleteDeal(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if err := m.DeletePipeline(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := m.GetPipeline(ctx, other.ID); !errors.Is(err, crm.ErrNotFound) {
			t.Fatalf("deleted pipeline: %v", err)
		}
		_, err = m.CreateStage(ctx, crm.StageInput{Name: "x", PipelineID: other.ID})
		wantMessage(t, err, "pipeline_id", "no pipeline "+itoa(other.ID))
		st := must[crm.Stage](t)(m.CreateStage(ctx, crm.StageInput{Name: "Won back", PipelineID: def.ID}))
		if st.OrderNr != 6 {
			t.Fatalf("appended stage order %d", st.OrderNr)
		}
		if _, err := m.UpdatePipeline(ctx, def.ID, crm.PipelinePatch{Name: pstr(" ")}); err == nil {
			t.Fatal("blank pipeline name accepted")
		}
	})
}

func ptrF(f float64) *float64 { return &f }

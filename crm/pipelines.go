package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DefaultPipelineName and DefaultStageNames describe the pipeline a fresh
// workspace gets from EnsureDefaultPipeline.
const DefaultPipelineName = "Sales pipeline"

// DefaultStageNames are the stages of the default pipeline, in order.
func DefaultStageNames() []string {
	return []string{"Qualified", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"}
}

// Pipeline is a sequence of stages deals move through.
type Pipeline struct {
	ID         int64     `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	OrderNr    int       `db:"order_nr" json:"order_nr"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// PipelineInput creates a pipeline, optionally with stages named in order.
type PipelineInput struct {
	Name    string   `json:"name"`
	OrderNr *int     `json:"order_nr"`
	Stages  []string `json:"stages"`
}

// PipelinePatch changes a pipeline.
type PipelinePatch struct {
	Name    *string `json:"name"`
	OrderNr *int    `json:"order_nr"`
}

// Stage is a step of a pipeline; order_nr orders the stages of a pipeline.
type Stage struct {
	ID         int64     `db:"id" json:"id"`
	Name       string    `db:"name" json:"name"`
	PipelineID int64     `db:"pipeline_id" json:"pipeline_id"`
	OrderNr    int       `db:"order_nr" json:"order_nr"`
	AddTime    time.Time `db:"add_time" json:"add_time"`
	UpdateTime time.Time `db:"update_time" json:"update_time"`
}

// StageInput creates a stage; OrderNr defaults to after the last stage.
type StageInput struct {
	Name       string `json:"name"`
	PipelineID int64  `json:"pipeline_id"`
	OrderNr    *int   `json:"order_nr"`
}

// StagePatch changes a stage. Moving a stage to another pipeline moves its deals along.
type StagePatch struct {
	Name       *string `json:"name"`
	PipelineID *int64  `json:"pipeline_id"`
	OrderNr    *int    `json:"order_nr"`
}

// StageFilter narrows ListStages.
type StageFilter struct {
	PipelineID *int64
}

var pipelineSorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"name":        {"name", sortText},
	"order_nr":    {"order_nr", sortInt},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func pipelineKey(pl *Pipeline, field string) any {
	switch field {
	case "name":
		return pl.Name
	case "order_nr":
		return int64(pl.OrderNr)
	case "add_time":
		return pl.AddTime
	case "update_time":
		return pl.UpdateTime
	}
	return pl.ID
}

var stageSorts = map[string]sortColumn{
	"id":          {"id", sortInt},
	"name":        {"name", sortText},
	"order_nr":    {"order_nr", sortInt},
	"pipeline_id": {"pipeline_id", sortInt},
	"add_time":    {"add_time", sortTime},
	"update_time": {"update_time", sortTime},
}

func stageKey(st *Stage, field string) any {
	switch field {
	case "name":
		return st.Name
	case "order_nr":
		return int64(st.OrderNr)
	case "pipeline_id":
		return st.PipelineID
	case "add_time":
		return st.AddTime
	case "update_time":
		return st.UpdateTime
	}
	return st.ID
}

func checkOrderNr(p *Problems, n *int) {
	if n != nil && *n < 0 {
		p.Add("order_nr", "must not be negative")
	}
}

// EnsureDefaultPipeline creates the default pipeline and its stages when no
// pipeline exists, and returns the first pipeline. It is safe to call at
// every start, from several servers at once: the check and the creation run
// under a row lock (crm_locks), so a second caller waits, then sees the
// first caller's pipeline.
func (m *Manager) EnsureDefaultPipeline(ctx context.Context) (Pipeline, error) {
	var pl Pipeline
	err := m.InTx(ctx, func(m *Manager) error {
		if err := m.exec(ctx, "lock-default-pipeline", "lock default pipeline"); err != nil {
			return err
		}
		var n int
		if err := m.q.GetContext(ctx, &n, m.sql.Get("count-pipelines")); err != nil {
			return fmt.Errorf("count pipelines: %w", err)
		}
		if n == 0 {
			one := 1
			var err error
			pl, err = m.CreatePipeline(ctx, PipelineInput{Name: DefaultPipelineName, OrderNr: &one, Stages: DefaultStageNames()})
			return err
		}
		var err error
		pl, err = m.firstPipeline(ctx)
		return err
	})
	return pl, err
}

func (m *Manager) firstPipeline(ctx context.Context) (Pipeline, error) {
	var pl Pipeline
	if err := m.q.GetContext(ctx, &pl, m.sql.Get("first-pipeline")); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Pipeline{}, notFound("pipeline", "(none)")
		}
		return Pipeline{}, fmt.Errorf("first pipeline: %w", err)
	}
	return pl, nil
}

// CreatePipeline adds a pipeline.
func (m *Manager) CreatePipeline(ctx context.Context, in PipelineInput) (Pipeline, error) {
	var p Problems
	requireName(&p, "name", &in.Name)
	checkOrderNr(&p, in.OrderNr)
	for i := range in.Stages {
		requireName(&p, fmt.Sprintf("stages[%d]", i), &in.Stages[i])
	}
	if err := p.Err(); err != nil {
		return Pipeline{}, err
	}
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		order := 0
		if in.OrderNr != nil {
			order = *in.OrderNr
		} else if err := m.q.GetContext(ctx, &order, m.sql.Get("next-pipeline-order")); err != nil {
			return fmt.Errorf("next pipeline order: %w", err)
		}
		now := m.nowUTC()
		var err error
		if id, err = insertID[int64](ctx, m, "insert-pipeline", "pipeline", in.Name, order, now, now); err != nil {
			return err
		}
		for i, name := range in.Stages {
			if _, err := insertID[int64](ctx, m, "insert-stage", "stage", id, name, i+1, now, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Pipeline{}, err
	}
	return m.GetPipeline(ctx, id)
}

// GetPipeline returns one pipeline.
func (m *Manager) GetPipeline(ctx context.Context, id int64) (Pipeline, error) {
	return getOne[Pipeline](ctx, m, "get-pipeline", "pipeline", id)
}

// ListPipelines pages through pipelines. Sort fields: id, name, order_nr, add_time, update_time.
func (m *Manager) ListPipelines(ctx context.Context, lp ListParams) ([]Pipeline, Page, error) {
	q := listQuery{base: m.sql.Get("select-pipelines"), sorts: pipelineSorts, defaultSort: "id"}
	return runList(ctx, m, q, lp, pipelineKey, func(pl *Pipeline) any { return pl.ID })
}

// UpdatePipeline applies a patch.
func (m *Manager) UpdatePipeline(ctx context.Context, id int64, p PipelinePatch) (Pipeline, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		pl, err := m.GetPipeline(ctx, id)
		if err != nil {
			return err
		}
		if p.Name != nil {
			pl.Name = *p.Name
		}
		if p.OrderNr != nil {
			pl.OrderNr = *p.OrderNr
		}
		var pr Problems
		requireName(&pr, "name", &pl.Name)
		checkOrderNr(&pr, &pl.OrderNr)
		if err := pr.Err(); err != nil {
			return err
		}
		return m.exec(ctx, "update-pipeline", "update pipeline", pl.Name, pl.OrderNr, m.nowUTC(), id)
	})
	if err != nil {
		return Pipeline{}, err
	}
	return m.GetPipeline(ctx, id)
}

// DeletePipeline removes a pipeline and its stages; one with deals is a conflict.
func (m *Manager) DeletePipeline(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		var n int
		if err := m.q.GetContext(ctx, &n, m.sql.Get("count-pipeline-deals"), id); err != nil {
			return fmt.Errorf("count pipeline deals: %w", err)
		}
		if n > 0 {
			return conflict("pipeline %d has %d deals: move or delete them first", id, n)
		}
		return m.deleteOne(ctx, "delete-pipeline", "pipeline", id)
	})
}

func (m *Manager) validateStage(ctx context.Context, st *Stage) error {
	var p Problems
	requireName(&p, "name", &st.Name)
	checkOrderNr(&p, &st.OrderNr)
	if err := m.checkRefs(ctx, &p, refTo("pipeline_id", refPipeline, &st.PipelineID)); err != nil {
		return err
	}
	return p.Err()
}

// CreateStage adds a stage to a pipeline.
func (m *Manager) CreateStage(ctx context.Context, in StageInput) (Stage, error) {
	var id int64
	err := m.InTx(ctx, func(m *Manager) error {
		st := Stage{Name: in.Name, PipelineID: in.PipelineID}
		if in.OrderNr != nil {
			st.OrderNr = *in.OrderNr
		}
		if err := m.validateStage(ctx, &st); err != nil {
			return err
		}
		if in.OrderNr == nil {
			if err := m.q.GetContext(ctx, &st.OrderNr, m.sql.Get("next-stage-order"), st.PipelineID); err != nil {
				return fmt.Errorf("next stage order: %w", err)
			}
		}
		now := m.nowUTC()
		var err error
		id, err = insertID[int64](ctx, m, "insert-stage", "stage", st.PipelineID, st.Name, st.OrderNr, now, now)
		return err
	})
	if err != nil {
		return Stage{}, err
	}
	return m.GetStage(ctx, id)
}

// GetStage returns one stage.
func (m *Manager) GetStage(ctx context.Context, id int64) (Stage, error) {
	return getOne[Stage](ctx, m, "get-stage", "stage", id)
}

// ListStages pages through stages. Sort fields: id, name, order_nr, pipeline_id, add_time, update_time.
func (m *Manager) ListStages(ctx context.Context, f StageFilter, lp ListParams) ([]Stage, Page, error) {
	q := listQuery{base: m.sql.Get("select-stages"), sorts: stageSorts, defaultSort: "id"}
	if f.PipelineID != nil {
		q.filter("pipeline_id = ?", *f.PipelineID)
	}
	return runList(ctx, m, q, lp, stageKey, func(st *Stage) any { return st.ID })
}

// UpdateStage applies a patch.
func (m *Manager) UpdateStage(ctx context.Context, id int64, p StagePatch) (Stage, error) {
	err := m.InTx(ctx, func(m *Manager) error {
		st, err := m.GetStage(ctx, id)
		if err != nil {
			return err
		}
		moved := p.PipelineID != nil && *p.PipelineID != st.PipelineID
		if p.Name != nil {
			st.Name = *p.Name
		}
		if p.PipelineID != nil {
			st.PipelineID = *p.PipelineID
		}
		if p.OrderNr != nil {
			st.OrderNr = *p.OrderNr
		}
		if err := m.validateStage(ctx, &st); err != nil {
			return err
		}
		now := m.nowUTC()
		if err := m.exec(ctx, "update-stage", "update stage", st.Name, st.PipelineID, st.OrderNr, now, id); err != nil {
			return err
		}
		if moved {
			// A deal's pipeline is its stage's.
			return m.exec(ctx, "move-stage-deals", "move stage deals", st.PipelineID, now, id)
		}
		return nil
	})
	if err != nil {
		return Stage{}, err
	}
	return m.GetStage(ctx, id)
}

// DeleteStage removes a stage; one with deals is a conflict.
func (m *Manager) DeleteStage(ctx context.Context, id int64) error {
	return m.InTx(ctx, func(m *Manager) error {
		var n int
		if err := m.q.GetContext(ctx, &n, m.sql.Get("count-stage-deals"), id); err != nil {
			return fmt.Errorf("count stage deals: %w", err)
		}
		if n > 0 {
			return conflict("stage %d has %d deals: move or delete them first", id, n)
		}
		return m.deleteOne(ctx, "delete-stage", "stage", id)
	})
}

// dealStage decides where a deal goes. The stage wins over the pipeline;
// a pipeline alone means its first stage; neither means the first
// pipeline's first stage (creating the default pipeline on an empty
// workspace, so that a capture never fails for want of one).
func (m *Manager) dealStage(ctx context.Context, stageID, pipelineID *int64) (Stage, error) {
	if stageID != nil {
		st, err := m.GetStage(ctx, *stageID)
		if errors.Is(err, ErrNotFound) {
			return Stage{}, Invalid("stage_id", fmt.Sprintf("no stage %d", *stageID))
		}
		return st, err
	}
	var pl Pipeline
	var err error
	if pipelineID != nil {
		if pl, err = m.GetPipeline(ctx, *pipelineID); errors.Is(err, ErrNotFound) {
			return Stage{}, Invalid("pipeline_id", fmt.Sprintf("no pipeline %d", *pipelineID))
		}
	} else if pl, err = m.firstPipeline(ctx); errors.Is(err, ErrNotFound) {
		pl, err = m.EnsureDefaultPipeline(ctx)
	}
	if err != nil {
		return Stage{}, err
	}
	return m.firstStage(ctx, pl)
}

func (m *Manager) firstStage(ctx context.Context, pl Pipeline) (Stage, error) {
	var st Stage
	if err := m.q.GetContext(ctx, &st, m.sql.Get("first-stage"), pl.ID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Stage{}, Invalid("pipeline_id", fmt.Sprintf("pipeline %d has no stages", pl.ID))
		}
		return Stage{}, fmt.Errorf("first stage: %w", err)
	}
	return st, nil
}

package crm

import (
	"context"
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

// EnsureDefaultPipeline creates the default pipeline and its stages when no
// pipeline exists, and returns the first pipeline. It is safe to call at
// every start, from several servers at once.
func (m *Manager) EnsureDefaultPipeline(ctx context.Context) (Pipeline, error) {
	return Pipeline{}, errTODO
}

// CreatePipeline adds a pipeline.
func (m *Manager) CreatePipeline(ctx context.Context, in PipelineInput) (Pipeline, error) {
	return Pipeline{}, errTODO
}

// GetPipeline returns one pipeline.
func (m *Manager) GetPipeline(ctx context.Context, id int64) (Pipeline, error) {
	return Pipeline{}, errTODO
}

// ListPipelines pages through pipelines. Sort fields: id, name, order_nr, add_time, update_time.
func (m *Manager) ListPipelines(ctx context.Context, lp ListParams) ([]Pipeline, Page, error) {
	return nil, Page{}, errTODO
}

// UpdatePipeline applies a patch.
func (m *Manager) UpdatePipeline(ctx context.Context, id int64, p PipelinePatch) (Pipeline, error) {
	return Pipeline{}, errTODO
}

// DeletePipeline removes a pipeline and its stages; one with deals is a conflict.
func (m *Manager) DeletePipeline(ctx context.Context, id int64) error { return errTODO }

// CreateStage adds a stage to a pipeline.
func (m *Manager) CreateStage(ctx context.Context, in StageInput) (Stage, error) {
	return Stage{}, errTODO
}

// GetStage returns one stage.
func (m *Manager) GetStage(ctx context.Context, id int64) (Stage, error) { return Stage{}, errTODO }

// ListStages pages through stages. Sort fields: id, name, order_nr, pipeline_id, add_time, update_time.
func (m *Manager) ListStages(ctx context.Context, f StageFilter, lp ListParams) ([]Stage, Page, error) {
	return nil, Page{}, errTODO
}

// UpdateStage applies a patch.
func (m *Manager) UpdateStage(ctx context.Context, id int64, p StagePatch) (Stage, error) {
	return Stage{}, errTODO
}

// DeleteStage removes a stage; one with deals is a conflict.
func (m *Manager) DeleteStage(ctx context.Context, id int64) error { return errTODO }

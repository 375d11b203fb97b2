package crm

// ListParams are the paging and sorting options every list takes. The api
// package fills them from `start`, `limit`, `cursor` and `sort`.
type ListParams struct {
	Start  int    // offset paging; ignored when Cursor is set
	Limit  int    // 1..MaxLimit; 0 means DefaultLimit
	Cursor string // opaque keyset cursor from a previous Page.NextCursor
	Sort   string // "field ASC|DESC", field from the resource's whitelist
}

const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// Page describes where a list stopped, in the shape of Pipedrive's
// additional_data.pagination.
type Page struct {
	Start      int    `json:"start"`
	Limit      int    `json:"limit"`
	More       bool   `json:"more_items_in_collection"`
	NextStart  *int   `json:"next_start,omitempty"`
	NextCursor string `json:"next_cursor,omitempty"`
}

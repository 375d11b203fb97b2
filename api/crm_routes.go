package api

// crmRoutes are the CRM resources: persons, organizations, leads, labels,
// pipelines, stages, deals, activities, notes.
func (s *Server) crmRoutes() []route {
	return nil
}

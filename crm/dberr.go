package crm

import "github.com/parley/parley/schema"

func isUnique(err error) bool { return schema.IsUniqueViolation(err) }
func isFK(err error) bool     { return schema.IsForeignKeyViolation(err) }

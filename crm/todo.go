package crm

import "errors"

var errTODO = errors.New("crm: not implemented yet")

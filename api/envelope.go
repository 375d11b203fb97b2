package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// envelope is Pipedrive's response shape, for success and failure alike.
type envelope struct {
	Success        bool             `json:"success"`
	Data           any              `json:"data"`
	AdditionalData *additionalData  `json:"additional_data,omitempty"`
	Error          string           `json:"error,omitempty"`
	ErrorInfo      string           `json:"error_info,omitempty"`
	Errors         []crm.FieldError `json:"errors,omitempty"`
	RequestID      string           `json:"request_id,omitempty"`
}

type additionalData struct {
	Pagination *crm.Page `json:"pagination,omitempty"`
}

// apiError is an error with its HTTP status, raised by the api layer itself
// (bad JSON, wrong content type, missing auth…).
type apiError struct {
	status int
	msg    string
	fields []crm.FieldError
}

func (e *apiError) Error() string { return e.msg }

func errStatus(status int, msg string) error { return &apiError{status: status, msg: msg} }

func errField(status int, field, msg string) error {
	return &apiError{status: status, msg: field + ": " + msg, fields: []crm.FieldError{{Field: field, Message: msg}}}
}

// Error kinds from other packages that the api maps to statuses. Packages
// register their own kinds here rather than the api importing every detail.
type statusMapper func(err error) (status int, msg string, fields []crm.FieldError, ok bool)

// ok writes a success envelope.
func ok(c *gin.Context, status int, data any, page *crm.Page) {
	// Lists are arrays even when empty, so clients need not test for null.
	if v := reflect.ValueOf(data); v.Kind() == reflect.Slice && v.IsNil() {
		data = []struct{}{}
	}
	env := envelope{Success: true, Data: data}
	if page != nil {
		env.AdditionalData = &additionalData{Pagination: page}
	}
	c.JSON(status, env)
}

// fail maps err to a status and writes the failure envelope. Internal errors
// are logged with the request id and never shown to the client.
func (s *Server) fail(c *gin.Context, err error) {
	status, msg, fields := s.classify(err)
	env := envelope{Success: false, Error: msg, Errors: fields, RequestID: requestID(c)}
	switch status {
	case http.StatusInternalServerError:
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Request.Method,
			"path", c.FullPath(), "err", err)
		env.Error = "internal error"
		env.ErrorInfo = "the error was logged with request id " + requestID(c)
	case http.StatusUnauthorized:
		env.ErrorInfo = "send an API token as x-api-token, Authorization: Bearer or ?api_token=, or sign in"
	}
	c.AbortWithStatusJSON(status, env)
}

func (s *Server) classify(err error) (int, string, []crm.FieldError) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.msg, ae.fields
	}
	var inv *crm.InvalidError
	if errors.As(err, &inv) {
		return http.StatusUnprocessableEntity, inv.Error(), inv.Fields
	}
	for _, m := range s.mappers {
		if st, msg, f, ok := m(err); ok {
			return st, msg, f
		}
	}
	switch {
	case errors.Is(err, crm.ErrNotFound):
		return http.StatusNotFound, err.Error(), nil
	case errors.Is(err, crm.ErrConflict):
		return http.StatusConflict, err.Error(), nil
	case errors.Is(err, crm.ErrForbidden):
		return http.StatusForbidden, err.Error(), nil
	case errors.Is(err, crm.ErrBadCredentials):
		return http.StatusUnauthorized, "invalid credentials", nil
	case errors.Is(err, context.Canceled):
		return 499, "request canceled", nil
	}
	return http.StatusInternalServerError, "internal error", nil
}

// respond writes data or the error, the usual tail of a handler.
func (s *Server) respond(c *gin.Context, status int, data any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	ok(c, status, data, nil)
}

// respondList writes a page of results.
func (s *Server) respondList(c *gin.Context, data any, page crm.Page, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	ok(c, http.StatusOK, data, &page)
}

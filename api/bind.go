package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// MaxBodyBytes bounds every request body; playbooks are the largest documents
// and stay well under it.
const MaxBodyBytes = 1 << 20

// readBody reads the body under the size limit, answering 413 past it.
func readBody(c *gin.Context) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)
	b, err := io.ReadAll(r)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errStatus(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
		}
		return nil, errStatus(http.StatusBadRequest, "could not read request body")
	}
	return b, nil
}

// mediaType returns the request's media type, lowercased, without parameters.
func mediaType(c *gin.Context) string {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

// bindJSON decodes a JSON object into dst strictly: the content type must be
// JSON, unknown fields and wrong types are errors naming the field.
func bindJSON(c *gin.Context, dst any) error {
	if mt := mediaType(c); mt != "application/json" {
		return errStatus(http.StatusUnsupportedMediaType, "Content-Type must be application/json")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

func decodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errStatus(http.StatusBadRequest, "request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errStatus(http.StatusBadRequest, "malformed JSON: more than one value in the body")
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errStatus(http.StatusBadRequest, fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errStatus(http.StatusBadRequest, "malformed JSON: unexpected end of input")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errStatus(http.StatusBadRequest, "the body must be a JSON object")
		}
		return errField(http.StatusUnprocessableEntity, field, "must be "+jsonKind(te.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errField(http.StatusUnprocessableEntity, name, "is not a known field")
	}
	var fe *crm.InvalidError
	if errors.As(err, &fe) {
		return fe
	}
	return errStatus(http.StatusBadRequest, "malformed JSON: "+err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "of another type"
}

// query reads typed query parameters, collecting every bad one.
type query struct {
	c    *gin.Context
	errs crm.Problems
}

func newQuery(c *gin.Context) *query { return &query{c: c} }

func (q *query) Str(name string) *string {
	v, ok := q.c.GetQuery(name)
	if !ok {
		return nil
	}
	return &v
}

func (q *query) Int64(name string) *int64 {
	v, ok := q.c.GetQuery(name)
	if !ok || v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		q.errs.Add(name, "must be an integer")
		return nil
	}
	return &n
}

func (q *query) Bool(name string) *bool {
	v, ok := q.c.GetQuery(name)
	if !ok || v == "" {
		return nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		b := true
		return &b
	case "0", "false", "no":
		b := false
		return &b
	}
	q.errs.Add(name, "must be true or false")
	return nil
}

// List reads start, limit, cursor and sort.
func (q *query) List() crm.ListParams {
	var lp crm.ListParams
	if v := q.Int64("start"); v != nil {
		if *v < 0 {
			q.errs.Add("start", "must be 0 or more")
		}
		lp.Start = int(*v)
	}
	if v := q.Int64("limit"); v != nil {
		if *v < 1 || *v > crm.MaxLimit {
			q.errs.Add("limit", fmt.Sprintf("must be between 1 and %d", crm.MaxLimit))
		}
		lp.Limit = int(*v)
	}
	if v := q.Str("cursor"); v != nil {
		lp.Cursor = *v
	}
	if v := q.Str("sort"); v != nil {
		lp.Sort = *v
	}
	return lp
}

// Err reports the bad parameters as a 400 naming each.
func (q *query) Err() error {
	if len(q.errs) == 0 {
		return nil
	}
	ae := &apiError{status: http.StatusBadRequest, fields: q.errs}
	parts := make([]string, len(q.errs))
	for i, f := range q.errs {
		parts[i] = f.Field + ": " + f.Message
	}
	ae.msg = strings.Join(parts, "; ")
	return ae
}

// pathID reads a numeric id from the path, answering 404 for anything else
// (an id that cannot exist is an unknown id).
func pathID(c *gin.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errStatus(http.StatusNotFound, fmt.Sprintf("%s %q not found", name, c.Param(name)))
	}
	return n, nil
}

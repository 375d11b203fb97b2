package api

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parley/parley/crm"
)

// openAPI builds the OpenAPI 3 document from the route table once.
type openAPIDoc struct {
	once sync.Once
	doc  map[string]any
}

var typeTime = reflect.TypeOf(time.Time{})

var typeNullablePkg = reflect.TypeOf(crm.Nullable[int]{}).PkgPath()

// schemaOf describes a Go type as a JSON schema, following json tags. Named
// struct types become components so the document stays readable.
func schemaOf(t reflect.Type, comps map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == typeTime {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if m, ok := reflect.New(t).Interface().(interface{ OpenAPISchema() map[string]any }); ok {
		return m.OpenAPISchema()
	}
	// crm.Nullable[T], a PATCH field that null clears, is T or null on the wire.
	if t.Kind() == reflect.Struct && t.PkgPath() == typeNullablePkg && strings.HasPrefix(t.Name(), "Nullable[") {
		if v, ok := t.FieldByName("V"); ok {
			inner := schemaOf(v.Type, comps)
			if _, isRef := inner["$ref"]; isRef {
				return map[string]any{"allOf": []any{inner}, "nullable": true}
			}
			out := map[string]any{"nullable": true}
			for k, x := range inner {
				out[k] = x
			}
			return out
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), comps)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), comps)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name != "" {
			ref := map[string]any{"$ref": "#/components/schemas/" + compName(t)}
			if _, done := comps[compName(t)]; done {
				return ref
			}
			comps[compName(t)] = map[string]any{} // placeholder against recursion
			comps[compName(t)] = structSchema(t, comps)
			return ref
		}
		return structSchema(t, comps)
	}
	return map[string]any{}
}

func compName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "api" {
		return t.Name()
	}
	return pkg + "." + t.Name()
}

func structSchema(t reflect.Type, comps map[string]any) map[string]any {
	props := map[string]any{}
	var add func(t reflect.Type)
	add = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					add(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, comps)
		}
	}
	add(t)
	return map[string]any{"type": "object", "properties": props}
}

// openAPIPath turns /persons/:id into /persons/{id}.
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

func (s *Server) buildOpenAPI() map[string]any {
	comps := map[string]any{}
	paths := map[string]any{}
	wrap := func(data map[string]any, list bool) map[string]any {
		if list {
			data = map[string]any{"type": "array", "items": data}
		}
		props := map[string]any{"success": map[string]any{"type": "boolean"}, "data": data}
		if list {
			props["additional_data"] = map[string]any{"type": "object", "properties": map[string]any{
				"pagination": schemaOf(reflect.TypeOf(pageDoc{}), comps)}}
		}
		return map[string]any{"type": "object", "properties": props}
	}
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{
		"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	comps["Error"] = schemaOf(reflect.TypeOf(envelope{}), comps)
	for _, r := range s.routes {
		p := openAPIPath(r.path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     r.summary,
			"tags":        []string{r.tag},
			"operationId": strings.ToLower(r.method) + strings.ReplaceAll(strings.ReplaceAll(openAPIPath(strings.TrimPrefix(r.path, "/api/v1")), "/", "_"), "{", ""),
		}
		var params []any
		for _, seg := range strings.Split(r.path, "/") {
			if strings.HasPrefix(seg, ":") {
				params = append(params, map[string]any{"name": seg[1:], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		qs := r.query
		if r.list && r.path != "/api/v1/users" && r.path != "/api/v1/groups" {
			qs = append(append([]param{}, listParams...), qs...)
		}
		for _, q := range qs {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": q.typ}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.body), comps)}}}
		}
		status := "200"
		if r.method == http.MethodPost && strings.Count(r.path, ":") == 0 && r.access != public {
			status = "201"
		}
		if r.status != 0 {
			status = strconv.Itoa(r.status)
		}
		var data map[string]any
		if r.resp != nil {
			data = schemaOf(reflect.TypeOf(r.resp), comps)
		} else {
			data = map[string]any{}
		}
		op["responses"] = map[string]any{
			status:    map[string]any{"description": "success", "content": map[string]any{"application/json": map[string]any{"schema": wrap(data, r.list)}}},
			"default": errResp,
		}
		if r.access != public {
			op["security"] = []any{map[string]any{"apiToken": []string{}}, map[string]any{"bearer": []string{}}, map[string]any{"queryToken": []string{}}, map[string]any{"session": []string{}}}
		}
		item[strings.ToLower(r.method)] = op
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "Parley API", "version": "1"},
		"paths":   paths,
		"components": map[string]any{
			"schemas": comps,
			"securitySchemes": map[string]any{
				"apiToken":   map[string]any{"type": "apiKey", "in": "header", "name": "x-api-token"},
				"bearer":     map[string]any{"type": "http", "scheme": "bearer"},
				"queryToken": map[string]any{"type": "apiKey", "in": "query", "name": "api_token"},
				"session":    map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
	}
}

// pageDoc mirrors crm.Page for the document.
type pageDoc struct {
	Start      int    `json:"start"`
	Limit      int    `json:"limit"`
	More       bool   `json:"more_items_in_collection"`
	NextStart  int    `json:"next_start"`
	NextCursor string `json:"next_cursor"`
}

func (s *Server) getOpenAPI(c *gin.Context) {
	s.openapi.once.Do(func() { s.openapi.doc = s.buildOpenAPI() })
	c.JSON(http.StatusOK, s.openapi.doc)
}

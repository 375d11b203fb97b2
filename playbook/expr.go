package playbook

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Budgets: expr has no timeout, so expressions are kept small at compile
// time and their memory is bounded at run time.
const (
	maxExprLen    = 1000
	maxExprNodes  = 200
	exprMemBudget = 100_000
)

// builtins are the only expr builtins a playbook may call: string and
// number helpers, all pure and cheap. `repeat`, `toJSON`, `now` (use the
// `now` variable) and friends are left out.
var builtins = []string{
	"len", "abs", "ceil", "floor", "round", "int", "float", "string",
	"trim", "upper", "lower", "split", "join", "replace", "hasPrefix", "hasSuffix", "indexOf",
	"max", "min", "duration", "date", "any", "all", "none", "count", "get", "keys",
}

// envType is the typed environment expressions are checked against.
// Captured values are typed but may be nil at run time; see nilSafe.
func envType(doc *Document, answerCards []string) types.Map {
	answers := types.Map{}
	for _, id := range answerCards {
		answers[id] = types.Any
	}
	fields := types.Map{}
	for _, f := range doc.Fields {
		fields[f.Name] = fieldType(f.Type)
	}
	return types.Map{
		"answers":      answers,
		"person":       types.Map{"name": types.String, "email": types.String, "phone": types.String},
		"organization": types.Map{"name": types.String, "address": types.String},
		"deal":         types.Map{"value": types.Float64, "expected_close_date": types.String},
		"field":        fields,
		"visitor": types.Map{
			"visits": types.Int, "returning": types.Bool, "language": types.String,
			"device": types.String, "browser": types.String, "os": types.String, "referrer": types.String,
			"time_on_site": types.Int, "time_on_page": types.Int,
		},
		"page":          types.Map{"url": types.String, "path": types.String, "title": types.String},
		"agents_online": types.Int,
		"in_hours":      types.Bool,
		"playbook":      types.Map{"id": types.String, "name": types.String, "version": types.Int},
		"now":           types.TypeOf(time.Time{}),
	}
}

func fieldType(t FieldType) types.Type {
	switch t {
	case FieldNumber:
		return types.Float64
	case FieldBool:
		return types.Bool
	}
	return types.String
}

// exprWant is the type an expression must have.
type exprWant int

const (
	wantAny exprWant = iota
	wantBool
	wantNumber
)

// exprError is a compile error with its 0-based position in the source.
type exprError struct {
	line, col int // 0-based line, 0-based column within the line
	msg       string
}

func compileExpr(src string, env types.Map, want exprWant) (*vm.Program, *exprError) {
	if strings.TrimSpace(src) == "" {
		return nil, &exprError{msg: "the expression is empty"}
	}
	if len(src) > maxExprLen {
		return nil, &exprError{msg: fmt.Sprintf("the expression is longer than %d characters", maxExprLen)}
	}
	opts := []expr.Option{expr.Env(env), expr.DisableAllBuiltins(), expr.MaxNodes(maxExprNodes), nullableFunc}
	for _, b := range builtins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	switch want {
	case wantBool:
		opts = append(opts, expr.AsBool())
	case wantNumber:
		opts = append(opts, expr.AsFloat64())
	}
	// Type-check the expression as written: the nil-safe rewrite loosens
	// some types, and must not hide a mistake such as name == 5.
	_, err := expr.Compile(src, opts...)
	if err == nil {
		var prog *vm.Program
		prog, err = expr.Compile(src, append(opts, expr.Patch(nilSafe{}))...)
		if err == nil {
			return prog, nil
		}
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		return nil, &exprError{line: fe.Line - 1, col: fe.Column, msg: fe.Message}
	}
	msg := err.Error()
	switch want {
	case wantBool:
		msg = strings.Replace(msg, "expected bool, but got", "must be true or false, but it gives", 1)
	case wantNumber:
		msg = strings.Replace(msg, "expected float64, but got", "must give a number, but it gives", 1)
	}
	return nil, &exprError{msg: msg}
}

// nilSafe makes ordering comparisons and string operators with a nil
// operand false instead of a run-time error, so `field.team_size >= 10`
// is simply false until team_size is captured. It rewrites `a < b` into
// `a != nil && b != nil && a < b`, guarding only operands that can be nil;
// the original comparison stays in the tree, so it is still type-checked.
type nilSafe struct{}

var nilSafeOps = map[string]bool{
	"<": true, "<=": true, ">": true, ">=": true,
	"contains": true, "startsWith": true, "endsWith": true, "matches": true,
}

func (nilSafe) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok {
		return
	}
	if b.Operator == "==" || b.Operator == "!=" {
		// Typed operands compile to fast paths (string == string) that
		// fail on nil; seen through nullable they compare generically.
		for _, side := range []*ast.Node{&b.Left, &b.Right} {
			if mayBeNil(*side) {
				*side = &ast.CallNode{Callee: &ast.IdentifierNode{Value: "nullable"}, Arguments: []ast.Node{*side}}
			}
		}
		return
	}
	if !nilSafeOps[b.Operator] {
		return
	}
	var guarded ast.Node = b
	for _, side := range []ast.Node{b.Right, b.Left} {
		if !mayBeNil(side) {
			continue
		}
		guard := &ast.BinaryNode{Operator: "!=", Left: side, Right: &ast.NilNode{}}
		guarded = &ast.BinaryNode{Operator: "&&", Left: guard, Right: guarded}
	}
	if guarded != b {
		ast.Patch(n, guarded)
	}
}

func mayBeNil(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode, *ast.ConstantNode,
		*ast.ArrayNode, *ast.MapNode, *ast.NilNode:
		return false
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		return !ok || id.Value != "nullable"
	}
	return true
}

// nullable is the identity, typed any: see nilSafe.
var nullableFunc = expr.Function("nullable", func(p ...any) (any, error) { return p[0], nil }, new(func(any) any))

// vms are reused across runs: a VM keeps its stack between runs, which
// saves most of the allocations of expr.Run.
var vms = sync.Pool{New: func() any { return &vm.VM{MemoryBudget: exprMemBudget} }}

func run(prog *vm.Program, vars map[string]any) (out any, err error) {
	m := vms.Get().(*vm.VM)
	defer func() {
		// A panic escaping the VM would take the conversation down with it.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
		vms.Put(m)
	}()
	return m.Run(prog, vars)
}

// format renders a value interpolated into a text.
func format(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		return strconv.Itoa(v)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format("2006-01-02 15:04")
	case time.Duration:
		return v.String()
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
		parts := make([]string, rv.Len())
		for i := range parts {
			parts[i] = format(rv.Index(i).Interface())
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

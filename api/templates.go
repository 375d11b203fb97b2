package api

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The sample playbooks ship inside the binary (../shared is not there at
// run time): the builder offers them as templates and `parley serve --demo`
// publishes them. TestTemplatesMatchSharedExamples keeps them equal to
// shared/examples.
//
//go:embed templates/*.yaml
var templateFS embed.FS

// Template is one sample playbook.
type Template struct {
	Name   string `json:"name"` // file name without .yaml: faq, live-chat, qualifier
	Source string `json:"document"`
}

// Templates returns the sample playbooks by name.
func Templates() []Template {
	files, _ := fs.Glob(templateFS, "templates/*.yaml")
	sort.Strings(files)
	out := make([]Template, 0, len(files))
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		out = append(out, Template{Name: strings.TrimSuffix(path.Base(f), ".yaml"), Source: string(b)})
	}
	return out
}

package playbook

import (
	"encoding/json"
	"os"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range samples {
		data, err := os.ReadFile(samplePath(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	bad, _ := os.ReadFile("testdata/bad.yaml")
	f.Add(bad)
	f.Add([]byte(`{"id":"x","cards":{"a":{"type":"end"}},"start":"a","name":"n"}`))
	f.Add([]byte("id: x\ncards: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := Load(data)
		for _, pr := range probs {
			_ = pr.String()
		}
		if p == nil {
			return
		}
		// A valid document exports and reads back valid.
		out, err := Export(p.Document())
		if err != nil {
			t.Fatal(err)
		}
		if q, probs := Load(out); q == nil {
			t.Fatalf("export of a valid document is invalid: %v\n%s", probs, out)
		}
	})
}

func FuzzStep(f *testing.F) {
	progs := map[string]*Program{}
	for _, name := range samples {
		progs[name] = loadSample(f, name)
	}
	f.Add(uint8(0), []byte(`[{"kind":"start"},{"kind":"answer","card":"intent","option":0},{"kind":"answer","card":"size","value":"12"}]`), uint8(1))
	f.Add(uint8(1), []byte(`[{"kind":"start"},{"kind":"answer","card":"contact","value":"A"},{"kind":"edit_field","card":"contact"}]`), uint8(0))
	f.Add(uint8(2), []byte(`[{"kind":"start"},{"kind":"answer","card":"ask","option":2},{"kind":"livechat_offline"},{"kind":"restart"}]`), uint8(3))
	f.Fuzz(func(t *testing.T, which uint8, frames []byte, agents uint8) {
		p := progs[samples[int(which)%len(samples)]]
		var events []Event
		if json.Unmarshal(frames, &events) != nil {
			return
		}
		env := Env{AgentsOnline: int(agents % 3)}
		var st State
		for _, ev := range events {
			next, _, err := p.Step(st, ev, env)
			if err == nil {
				st = next
			}
			data, err := json.Marshal(st)
			if err != nil {
				t.Fatal(err)
			}
			st = State{}
			if err := json.Unmarshal(data, &st); err != nil {
				t.Fatal(err)
			}
		}
	})
}

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parley/parley/playbook"
)

// runPlaybookValidate checks playbook files: every problem is printed as
// FILE:line:col: … on stdout; warnings do not change the exit code, errors
// make it 1.
func runPlaybookValidate(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: parley playbook validate FILE...")
		return 2
	}
	code := 0
	for _, file := range args {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			code = 1
			continue
		}
		_, probs := playbook.Load(data)
		for _, p := range probs {
			fmt.Fprintf(stdout, "%s:%s\n", file, p)
		}
		errs := len(probs.Errors())
		switch {
		case errs > 0:
			fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", file, errs, len(probs)-errs)
			code = 1
		default:
			fmt.Fprintf(stdout, "%s: ok\n", file)
		}
	}
	return code
}

// runPlaybookTry runs a playbook in the terminal, with no server: the bot
// speaks on stdout, answers come one per line from stdin (or --answers).
// A button is chosen by its number or its label; an empty line skips an
// optional input. Without --online nobody is online, so a livechat card
// runs its offline branch; with --online the chat counts as claimed by an
// agent and the bot's part ends. The last line is {"captures":[…]}: what
// the capture cards would create.
func runPlaybookTry(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("playbook try", flag.ContinueOnError)
	fs.SetOutput(stderr)
	answersFile := fs.String("answers", "", "read answers from this file, one per line")
	online := fs.Bool("online", false, "act as if an agent were online (live chat is claimed)")
	lang := fs.String("lang", "", "visitor language, e.g. fr or pt-BR")
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "usage: parley playbook try FILE [--answers FILE] [--online] [--lang fr]")
		return 2
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	prog, probs := playbook.Load(data)
	if prog == nil {
		for _, p := range probs {
			fmt.Fprintf(stderr, "%s:%s\n", files[0], p)
		}
		return 1
	}
	in, echo := stdin, !isTerminal(stdin)
	if *answersFile != "" {
		f, err := os.Open(*answersFile)
		if err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return 1
		}
		defer f.Close()
		in, echo = f, true
	}
	t := &trial{prog: prog, out: stdout, bot: "Bot", captures: []playbook.Capture{}}
	if b := prog.Document().Bot; b != nil && b.Name != "" {
		t.bot = b.Name
	}
	t.env = playbook.Env{Visitor: playbook.Visitor{Language: *lang, Visits: 1}, Page: playbook.Page{Path: "/"}, InHours: true, Now: time.Now()}
	if *online {
		t.env.AgentsOnline = 1
		t.env.GroupsOnline = map[string]int{}
		for _, c := range prog.Document().Cards {
			if c.Group != "" {
				t.env.GroupsOnline[c.Group] = 1
			}
		}
	}
	if err := t.run(bufio.NewScanner(in), echo); err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
	}
	line, err := json.Marshal(map[string]any{"captures": t.captures})
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", line)
	return 0
}

type trial struct {
	prog     *playbook.Program
	env      playbook.Env
	out      io.Writer
	bot      string
	st       playbook.State
	ask      *playbook.Ask
	captures []playbook.Capture
}

func (t *trial) run(lines *bufio.Scanner, echo bool) error {
	if err := t.step(playbook.Event{Kind: playbook.EventStart}); err != nil {
		return err
	}
	for {
		switch t.st.Wait {
		case playbook.WaitLiveChat:
			fmt.Fprintln(t.out, "[live chat] an agent joins; the bot's part ends")
			return t.step(playbook.Event{Kind: playbook.EventLiveChatClaimed})
		case playbook.WaitAnswer:
		default:
			return nil
		}
		fmt.Fprint(t.out, "? ")
		if !lines.Scan() {
			fmt.Fprintln(t.out)
			if err := lines.Err(); err != nil {
				return err
			}
			return errors.New("no more answers: the playbook stopped at card " + t.st.Card)
		}
		answer := strings.TrimSpace(lines.Text())
		if echo {
			fmt.Fprintln(t.out, answer)
		}
		if err := t.step(t.event(answer)); err != nil {
			fmt.Fprintf(t.out, "  (%v)\n", err)
		}
	}
}

// event turns a typed line into an answer: a number picks a button.
func (t *trial) event(answer string) playbook.Event {
	ev := playbook.Event{Kind: playbook.EventAnswer, Card: t.st.Card, Field: t.st.Field, Value: answer}
	if t.ask != nil && len(t.ask.Options) > 0 {
		if i, err := strconv.Atoi(answer); err == nil && i >= 1 && i <= len(t.ask.Options) {
			i--
			ev.Option, ev.Value = &i, ""
		}
	}
	return ev
}

func (t *trial) step(ev playbook.Event) error {
	st, effects, err := t.prog.Step(t.st, ev, t.env)
	if err != nil {
		return err
	}
	t.st = st
	for _, e := range effects {
		t.print(e)
	}
	return nil
}

func (t *trial) print(e playbook.Effect) {
	w := t.out
	switch e := e.(type) {
	case playbook.Message:
		fmt.Fprintf(w, "%s: %s\n", t.bot, e.Text)
	case playbook.Ask:
		t.ask = &e
		hint := ""
		if e.Input != "" {
			hint = " (" + string(e.Input)
			if !e.Required {
				hint += ", optional"
			}
			hint += ")"
		}
		fmt.Fprintf(w, "%s: %s%s\n", t.bot, e.Text, hint)
		for i, o := range e.Options {
			fmt.Fprintf(w, "  %d) %s\n", i+1, o.Label)
		}
	case playbook.Invalid:
		fmt.Fprintf(w, "%s: %s\n", t.bot, e.Text)
	case playbook.RequestLiveChat:
		fmt.Fprintf(w, "%s: %s\n[live chat] requesting an agent (wait %s)\n", t.bot, e.OnlineMessage, e.Wait)
	case playbook.OfflineNotice:
		fmt.Fprintf(w, "[live chat] nobody online\n%s: %s\n", t.bot, e.Text)
	case playbook.Capture:
		t.captures = append(t.captures, e)
		fmt.Fprintf(w, "[capture] %s %q\n", e.Create, e.Title)
	case playbook.End:
		if e.Text != "" {
			fmt.Fprintf(w, "%s: %s\n", t.bot, e.Text)
		}
		fmt.Fprintln(w, "[end]")
	case playbook.Log:
		fmt.Fprintf(w, "[log] card %s: %s\n", e.Card, e.Message)
	}
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

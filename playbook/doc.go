// Package playbook parses, validates, compiles and runs playbooks: the card
// graphs of spec/playbook.md that greet a visitor, ask qualifying questions,
// hand the chat to a human and capture the visitor in the CRM.
//
// The package knows nothing of HTTP or SQL. A runtime uses it like this:
//
//	doc, probs := playbook.Parse(yamlOrJSON) // probs carry line:col
//	prog, probs := playbook.Compile(doc)      // once, when a version is saved
//	if len(probs.Errors()) > 0 { reject the document }
//
//	// per conversation, per event:
//	st, effects, err := prog.Step(st, playbook.Event{Kind: playbook.EventAnswer, ...}, env)
//	if err != nil { send an error frame; st is unchanged }
//	persist st as JSON with the conversation, then apply effects in order
//	(Message, Ask, Invalid → widget events; RequestLiveChat → waiting state
//	and a deadline timer; Capture → crm, once per card; End; Log → a system
//	line on the conversation).
//
// Step is pure: it never mutates its input state, keeps no hidden state and
// does no I/O, so the same (state, event, env) always gives the same result.
// State is a plain JSON document: marshal it after every step and a
// conversation resumes exactly where it was after a restart. Everything that
// changes from one call to the next (agents online, page, time) comes in Env.
//
// Texts in effects come twice: Text is the interpolated source (markdown
// left as written, not escaped) for transcripts, notes and notifications;
// HTML is the safe rendering for the widget: the text is HTML-escaped, the
// markdown subset is applied, and interpolated values are inserted escaped
// after rendering, so a visitor's answer can never become markup or a link.
package playbook

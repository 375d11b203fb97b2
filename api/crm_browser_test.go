package api_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/crm"
	"github.com/parley/parley/schema/schematest"
)

// crmSeed is what the CRM browser test starts from: a chat capture's lead
// (person, organization, label, transcript note) and a lead whose title is
// markup.
type crmSeed struct {
	person crm.Person
	org    crm.Organization
	lead   crm.Lead
	xss    crm.Lead
	stages []crm.Stage // of the default pipeline, in order
}

const crmTranscript = "Visitor: Hi, we need a chat tool\nBot: How many seats?\nVisitor: About 50\n  (indented line)"

func seedCRM(t *testing.T, e *env) crmSeed {
	t.Helper()
	ctx := t.Context()
	var s crmSeed
	var err error
	if s.org, err = e.crm.CreateOrganization(ctx, crm.OrganizationInput{Name: "Acme Corp", Address: "1 Main St"}); err != nil {
		t.Fatal(err)
	}
	if s.person, err = e.crm.CreatePerson(ctx, crm.PersonInput{Name: "Jane Doe", Email: crm.Contacts{{Value: "jane@acme.test", Primary: true}}, OrgID: &s.org.ID}); err != nil {
		t.Fatal(err)
	}
	label, err := e.crm.CreateLeadLabel(ctx, crm.LeadLabelInput{Name: "Hot", Color: "red"})
	if err != nil {
		t.Fatal(err)
	}
	conv := "conv-123"
	if s.lead, err = e.crm.CreateLead(ctx, crm.LeadInput{
		Title: "Acme – 50 seats", PersonID: &s.person.ID, OrganizationID: &s.org.ID, OwnerID: &e.agent.ID,
		Value: &crm.Money{Amount: 12000, Currency: "USD"}, LabelIDs: []string{label.ID}, SourceName: "Chatbot", ConversationID: &conv,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.crm.CreateNote(ctx, crm.NoteInput{Content: crmTranscript, LeadID: &s.lead.ID}); err != nil {
		t.Fatal(err)
	}
	if s.xss, err = e.crm.CreateLead(ctx, crm.LeadInput{Title: `<img src=x onerror=alert(1)>`, PersonID: &s.person.ID, SourceName: "Live chat"}); err != nil {
		t.Fatal(err)
	}
	pls, _, err := e.crm.ListPipelines(ctx, crm.ListParams{})
	if err != nil || len(pls) == 0 {
		t.Fatal("pipelines", err)
	}
	if s.stages, _, err = e.crm.ListStages(ctx, crm.StageFilter{PipelineID: &pls[0].ID}, crm.ListParams{Limit: crm.MaxLimit}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(s.stages, func(i, j int) bool { return s.stages[i].OrderNr < s.stages[j].OrderNr })
	return s
}

func (s crmSeed) stage(t *testing.T, name string) crm.Stage {
	t.Helper()
	for _, st := range s.stages {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no stage %q", name)
	return crm.Stage{}
}

// crmSignIn opens path and signs in as the agent through the form.
func crmSignIn(ctx context.Context, t *testing.T, e *env, path, ready string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "sam@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "agent-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(ready)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
}

// crmShot saves a screenshot under $PARLEY_SCREENSHOTS, when set.
func crmShot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("PARLEY_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Log(err)
	}
}

func crmText(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(sel, err, pageText(ctx))
	}
	return s
}

func TestBrowserCRMLeadToDeal(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	s := seedCRM(t, e)
	ctx := browser(t)

	row := fmt.Sprintf(`.crm-table tr[data-id="%s"]`, s.lead.ID)
	crmSignIn(ctx, t, e, "/app/crm", row)
	crmShot(ctx, t, "crm-leads")

	got := crmText(ctx, t, row)
	for _, want := range []string{"Acme – 50 seats", "Jane Doe", "Acme Corp", "Hot", "Chatbot", "Sam Agent"} {
		if !strings.Contains(got, want) {
			t.Errorf("lead row %q lacks %q", got, want)
		}
	}
	// A title that is markup is shown as text.
	xssRow := fmt.Sprintf(`.crm-table tr[data-id="%s"]`, s.xss.ID)
	if got := crmText(ctx, t, xssRow); !strings.Contains(got, `<img src=x onerror=alert(1)>`) {
		t.Errorf("markup title shown as %q", got)
	}
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#view img").length`))
	if err != nil || imgs != 0 {
		t.Fatalf("img elements in the view: %d (%v)", imgs, err)
	}

	// The drawer shows the transcript note with its line breaks.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+" .crm-link")),
		chromedp.WaitVisible(chromedp.CSS(`.crm-drawer .crm-note-body`)),
		chromedp.WaitVisible(chromedp.CSS(`.crm-drawer .crm-convlink`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmShot(ctx, t, "crm-lead-drawer")
	note, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".crm-drawer .crm-note-body").textContent`))
	if err != nil || note != crmTranscript {
		t.Fatalf("note shown as %q (%v)", note, err)
	}
	ws, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".crm-drawer .crm-note-body")).whiteSpace`))
	if err != nil || ws != "pre-wrap" {
		t.Fatalf("note white-space %q (%v)", ws, err)
	}
	if l, _ := e.crm.GetLead(t.Context(), s.lead.ID); !l.WasSeen {
		t.Error("opening the lead does not mark it seen")
	}

	// Convert: the deal appears on the board in the first stage.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#crm-convert`)),
		chromedp.WaitVisible(chromedp.CSS(`.crm-board .crm-card`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	lead, err := e.crm.GetLead(t.Context(), s.lead.ID)
	if err != nil || lead.DealID == nil || !lead.IsArchived {
		t.Fatalf("lead after convert: %+v %v", lead, err)
	}
	deal := *lead.DealID
	card := fmt.Sprintf(`.crm-card[data-id="%d"]`, deal)
	first := s.stages[0]
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] %s`, first.ID, card))),
		// The converted deal opens in the drawer, with the transcript moved along.
		chromedp.WaitVisible(chromedp.CSS(`.crm-drawer .crm-note-body`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmShot(ctx, t, "crm-deal-drawer")
	if got := crmText(ctx, t, fmt.Sprintf(`.crm-col[data-stage="%d"] header`, first.ID)); !strings.Contains(got, "1 deal") || !strings.Contains(got, "12,000") {
		t.Errorf("first column header %q", got)
	}

	// Move with the keyboard-friendly menu, then drag to "Demo scheduled".
	contact, demo := s.stage(t, "Contact made"), s.stage(t, "Demo scheduled")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.crm-drawer button[aria-label=Close]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`.crm-drawer`)),
		chromedp.Click(chromedp.CSS(card+" .crm-move")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-menu button[data-stage="%d"]`, contact.ID))),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmShot(ctx, t, "crm-move-menu")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`.crm-menu button[data-stage="%d"]`, contact.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] %s`, contact.ID, card))),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmWaitStage(ctx, t, e, deal, contact.ID)

	err = chromedp.Do(ctx,
		chromedp.DragAndDrop(chromedp.CSS(card), chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] .crm-cards`, demo.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] %s`, demo.ID, card))),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmWaitStage(ctx, t, e, deal, demo.ID)
	crmShot(ctx, t, "crm-board")

	// Alt+→ and Alt+← on a focused card move it a stage along and back.
	proposal := s.stage(t, "Proposal made")
	altKey := func(key string) chromedp.Action[chromedp.Void] {
		return eval(fmt.Sprintf(`(() => { const c = document.querySelector(%q); c.focus(); c.dispatchEvent(new KeyboardEvent("keydown", {key: %q, altKey: true, bubbles: true})); })()`, card, key))
	}
	err = chromedp.Do(ctx, altKey("ArrowRight"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] %s`, proposal.ID, card))))
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmWaitStage(ctx, t, e, deal, proposal.ID)
	err = chromedp.Do(ctx, altKey("ArrowLeft"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`.crm-col[data-stage="%d"] %s`, demo.ID, card))))
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmWaitStage(ctx, t, e, deal, demo.ID)

	// Won, from the drawer.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(card+" .crm-cardtitle")),
		chromedp.WaitVisible(chromedp.CSS(`#crm-won`)),
		chromedp.Click(chromedp.CSS(`#crm-won`)),
		chromedp.WaitVisible(chromedp.CSS(`.crm-banner.won`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	if d, _ := e.crm.GetDeal(t.Context(), deal); d.Status != "won" || d.WonTime == nil {
		t.Errorf("deal after Won: %s %v", d.Status, d.WonTime)
	}
}

// crmWaitStage polls the CRM until the deal is in the stage.
func crmWaitStage(ctx context.Context, t *testing.T, e *env, deal, stage int64) {
	t.Helper()
	for range 50 {
		d, err := e.crm.GetDeal(t.Context(), deal)
		if err != nil {
			t.Fatal(err)
		}
		if d.StageID == stage {
			return
		}
		if _, err := chromedp.Run(ctx, chromedp.Sleep(50_000_000)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("deal %d never reached stage %d", deal, stage)
}

func TestBrowserCRMPersonFieldErrors(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	seedCRM(t, e)
	ctx := browser(t)
	crmSignIn(ctx, t, e, "/app/crm/people", `.crm-table tbody tr`)
	crmShot(ctx, t, "crm-people")

	emailErr := `.crm-drawer .crm-field[data-field="email"] .crm-ferr`
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#crm-add-person`)),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="New person"] input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`form[aria-label="New person"] input[name=name]`), "Bob Bad"),
		chromedp.SendKeys(chromedp.CSS(`form[aria-label="New person"] input[name=email]`), "not-an-email"),
		chromedp.Click(chromedp.CSS(`form[aria-label="New person"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(emailErr)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	crmShot(ctx, t, "crm-person-error")
	if got := crmText(ctx, t, emailErr); !strings.Contains(got, "not an email address") {
		t.Fatalf("email error %q", got)
	}
	inv, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[aria-label="New person"] input[name=email]').getAttribute("aria-invalid") === "true"`))
	if err != nil || !inv {
		t.Errorf("email input not marked invalid (%v)", err)
	}

	// Fixed, it saves and opens the new person.
	err = chromedp.Do(ctx,
		eval(`document.querySelector('form[aria-label="New person"] input[name=email]').value = ""`),
		chromedp.SendKeys(chromedp.CSS(`form[aria-label="New person"] input[name=email]`), "bob@example.com"),
		chromedp.Click(chromedp.CSS(`form[aria-label="New person"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Person details"]`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	ps, _, err := e.crm.SearchPersons(t.Context(), "bob@example.com", crm.ListParams{})
	if err != nil || len(ps) != 1 || ps[0].Name != "Bob Bad" {
		t.Fatalf("person after save: %+v %v", ps, err)
	}

	// Search narrows the table through /persons/search.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.crm-drawer button[aria-label=Close]`)),
		chromedp.SendKeys(chromedp.CSS(`input[aria-label="Search people"]`), "jane"),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`.crm-table tr[data-id="%d"]`, ps[0].ID))),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	if got := crmText(ctx, t, `.crm-table tbody`); !strings.Contains(got, "Jane Doe") {
		t.Errorf("search for jane shows %q", got)
	}
}

// TestBrowserCRMTour only takes screenshots of every CRM screen, for a
// person to look at: it runs when PARLEY_SCREENSHOTS names a directory.
func TestBrowserCRMTour(t *testing.T) {
	if os.Getenv("PARLEY_SCREENSHOTS") == "" {
		t.Skip("PARLEY_SCREENSHOTS not set")
	}
	e := newEnv(t, schematest.SQLite(t))
	s := seedCRM(t, e)
	ctx := t.Context()
	for i, name := range []string{"Globex – pilot", "Initech renewal", "Umbrella – 200 seats", "Hooli expansion"} {
		v := float64(4000 * (i + 1))
		if _, err := e.crm.CreateDeal(ctx, crm.DealInput{Title: name, Value: &v, StageID: &s.stages[i%3].ID, PersonID: &s.person.ID, OrgID: &s.org.ID, OwnerID: &e.agent.ID}); err != nil {
			t.Fatal(err)
		}
	}
	due := "2020-01-02"
	if _, err := e.crm.CreateActivity(ctx, crm.ActivityInput{Subject: "Call Jane about seats", Type: "call", DueDate: &due, LeadID: &s.lead.ID}); err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	crmSignIn(b, t, e, "/app/crm/leads?id="+s.lead.ID, `.crm-drawer .crm-note-body`)
	if err := chromedp.Do(b, chromedp.WaitVisible(chromedp.CSS(`.crm-act`)), eval(`document.querySelector(".crm-dbody").scrollTop = 400`)); err != nil {
		t.Fatal(err)
	}
	crmShot(b, t, "tour-lead-drawer-scrolled")
	steps := []struct{ path, ready, name string }{
		{"/app/crm/deals", `.crm-card`, "tour-board"},
		{"/app/crm/deals?view=list", `.crm-dealslist tbody tr`, "tour-deals-list"},
		{fmt.Sprintf("/app/crm/organizations?id=%d", s.org.ID), `.crm-drawer .crm-relrow`, "tour-org-drawer"},
		{fmt.Sprintf("/app/crm/people?id=%d", s.person.ID), `.crm-drawer .crm-relrow`, "tour-person-drawer"},
	}
	for _, st := range steps {
		if err := chromedp.Do(b, chromedp.Navigate(e.srv.URL+st.path), chromedp.WaitVisible(chromedp.CSS(st.ready)), chromedp.Sleep(300_000_000)); err != nil {
			t.Fatal(st.name, err, pageText(b))
		}
		crmShot(b, t, st.name)
	}
}

package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/internal/browsertest"
	"github.com/parley/parley/schema/schematest"
)

// browser starts headless Chromium for one test (skipped without it,
// except in CI).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, browsertest.Options{Timeout: 30 * time.Second})
}

// eval runs JavaScript as a step, ignoring its value.
func eval(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, tg)
		return err
	})
}

// pageText is the visible text of the page, for failure messages.
func pageText(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		return "(page text: " + err.Error() + ")"
	}
	return "\npage:\n" + s
}

func TestBrowserLoginWhoAmILogout(t *testing.T) {
	e := newEnv(t, schematest.SQLite(t))
	ctx := browser(t)
	// 127.0.0.1 is treated as secure by browsers, as the cookie needs.
	url := e.srv.URL + "/app"
	err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "sam@example.com"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "not-the-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.error:not(:empty)`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	errText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.error`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errText, "Wrong email or password") {
		t.Fatalf("error shown: %q", errText)
	}
	err = chromedp.Do(ctx,
		eval(`document.querySelector("input[name=password]").value = ""`),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "agent-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami-detail`)),
	)
	if err != nil {
		t.Fatal(err, pageText(ctx))
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#whoami-detail`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "sam@example.com") {
		t.Fatalf("who am I: %q", who)
	}
	// A reload keeps the session (cookie) and recovers the CSRF token.
	err = chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#whoami-detail`)),
		chromedp.SetValue(chromedp.CSS(`select.status`), "online"),
		eval(`document.querySelector("select.status").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS(`.dot.online`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := e.crm.GetUser(t.Context(), e.agent.ID); u.Status != "online" {
		t.Fatalf("status after switch: %s", u.Status)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button.logout`)),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Sign in"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

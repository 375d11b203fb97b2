package api_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/parley/parley/schema/schematest"
)

// browser starts headless Chromium for one test. Without Chromium the test
// is skipped, except in CI, where a missing browser is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; .ci/run must install it")
		}
		t.Skip("chromium not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 20*time.Second)
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
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
		chromedp.Clear(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "agent-password"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
	)
	if err != nil {
		shot, _ := chromedp.Run(context.WithoutCancel(ctx), chromedp.FullScreenshot(80))
		os.WriteFile("/tmp/login-fail.png", shot, 0o644)
		t.Fatal(err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#whoami`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "sam@example.com") {
		t.Fatalf("who am I: %q", who)
	}
	// A reload keeps the session (cookie) and recovers the CSRF token.
	err = chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#whoami`)),
		chromedp.SetValue(chromedp.CSS(`select.status`), "online"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.querySelector("select.status").dispatchEvent(new Event("change"))`)(ctx, tg)
			return err
		}),
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

// Package browsertest starts headless Chromium for the tests that drive the
// real pages (the widget, the live chat page, the builder).
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Options size the window and bound the test's steps.
type Options struct {
	Width, Height int           // default 1280×800
	Timeout       time.Duration // for everything after the start; default 60s
}

// Start launches Chromium for one test and returns a context for its steps.
// Without Chromium the test is skipped, except in CI, where a missing
// browser is a failure (.ci/run installs it).
func Start(t *testing.T, o Options) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; .ci/run must install it")
		}
		t.Skip("chromium not installed")
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 800
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	// The background-networking flags matter here: without them Chromium
	// keeps trying hosts this closed network refuses.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	// The first call starts the browser, which lives as long as its context:
	// no timeout on that one, a timeout on everything after.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel3 := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(cancel3)
	return ctx
}

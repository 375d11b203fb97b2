package api_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An admin switches auto-return on in Settings → Live chat; the value is
// checked in the page and by the server, and is there after a reload.
func TestBrowserSettingsAutoReturn(t *testing.T) {
	e, ctx := builderSession(t)
	u := ui{t, ctx}
	u.do(chromedp.Navigate(e.srv.URL+"/app/settings/livechat"), chromedp.WaitVisible(chromedp.CSS(`input[name=auto-return-on]`)))
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("input[name=auto-return-minutes]").disabled`))
	if err != nil || !disabled {
		t.Fatalf("minutes editable while auto-return is off: %v %v", disabled, err)
	}
	u.click(`input[name=auto-return-on]`)
	u.typeIn(`input[name=auto-return-minutes]`, "0")
	u.click(`button[name=save]`)
	u.do(chromedp.WaitVisible(chromedp.CSS(`#st-ar-err`)))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#st-ar-err`)))
	if err != nil || !strings.Contains(msg, "1 to 1440") {
		t.Fatalf("0 minutes: error %q %v", msg, err)
	}
	u.typeIn(`input[name=auto-return-minutes]`, "5")
	u.click(`button[name=save]`)
	u.do(poll(`document.querySelector(".st-ok").textContent.includes("5 min")`))
	r := e.asAdmin("GET", "/api/v1/livechat/settings", nil)
	if !strings.Contains(string(r.Body.Data), `"auto_return_seconds":300`) {
		t.Fatalf("server has %s", r.Body.Data)
	}
	u.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`input[name=auto-return-minutes]`)))
	val, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=auto-return-on]").checked + " " + document.querySelector("input[name=auto-return-minutes]").value`))
	if err != nil || val != "true 5" {
		t.Fatalf("after a reload: %q %v", val, err)
	}
}

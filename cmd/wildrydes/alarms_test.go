package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/sns"
)

func TestAlarmsPrintsEachAlarmItsChangesAndTheOutbox(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 4, 0, 0, time.UTC)
	const name = "wild-rydes-ride-record-test-DeadLetterQueueAlarm48D9D867-0A1B2C3D4E5F"
	report := admin.AlarmsReport{
		Alarms: []cloudwatch.AlarmStatus{{Name: name, State: "ALARM", Since: at, Reason: "Threshold Crossed: 1 out of the last 1 datapoints [3.0 (06/12/26 10:03:00)] was greater than or equal to the threshold (1.0)"}},
		Changes: []cloudwatch.Transition{{Time: at, Alarm: name, OldState: "OK", NewState: "ALARM",
			Notifications: []cloudwatch.Notification{{TopicArn: "arn:aws:sns:us-east-1:123456789012:alarms", Subject: "ALARM: ..."}}}},
		Outbox: []sns.Mail{{Time: at, To: "ops@example.com", Subject: `ALARM: "` + name + `" in US East (N. Virginia)`, Body: "You are receiving this email because ..."}},
		Clock:  "AWS timings 300 times faster than on AWS", Now: at,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_local/alarms" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(report)
	}))
	defer srv.Close()

	run := func(args ...string) string {
		t.Helper()
		o := parseAs[*alarmsOptions](t, append([]string{"alarms"}, args...)...)
		var out bytes.Buffer
		o.Out, o.Err, o.Admin, o.Token = &out, &bytes.Buffer{}, srv.URL+"/_local", "t0ken"
		if code := o.run(t.Context()); code != 0 {
			t.Fatalf("wildrydes alarms %v exits %d", args, code)
		}
		return out.String()
	}
	text := run()
	for _, want := range []string{"ALARM  10:04:00  " + name + "  Threshold Crossed", "OK -> ALARM  " + name + "  published to arn:aws:sns:us-east-1:123456789012:alarms",
		"outbox: 1 email(s)", "to ops@example.com  ALARM: \"" + name} {
		if !strings.Contains(text, want) {
			t.Errorf("wildrydes alarms prints\n%s\nwithout %q", text, want)
		}
	}
	if mail := run("--mail"); !strings.Contains(mail, "To: ops@example.com\nSubject: ALARM: ") || !strings.Contains(mail, "You are receiving this email") {
		t.Errorf("wildrydes alarms --mail prints\n%s\nwithout the whole email", mail)
	}
	var got admin.AlarmsReport
	if err := json.Unmarshal([]byte(run("--json")), &got); err != nil || len(got.Alarms) != 1 || got.Alarms[0].Name != name || len(got.Outbox) != 1 {
		t.Errorf("wildrydes alarms --json: %+v, %v", got, err)
	}
}

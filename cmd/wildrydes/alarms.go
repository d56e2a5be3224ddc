package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/admin"
)

// alarmsOptions are what `wildrydes alarms` reads: the running local system's CloudWatch
// alarms, each with its state as CloudWatch evaluates it, every state change with the
// notification it published, and the emails SNS delivered to the alarm topics' email
// subscriptions (the outbox).
type alarmsOptions struct {
	streams
	JSON bool
	// Mail prints each email of the outbox whole, not one line each.
	Mail bool
	// Admin is the local system's admin URL and Token its token; default the running one's (the
	// state file).
	Admin, Token string
}

func newAlarmsOptions(s streams) (options, *flag.FlagSet) {
	o := &alarmsOptions{streams: s}
	fs := flag.NewFlagSet("alarms", flag.ContinueOnError)
	fs.BoolVar(&o.JSON, "json", false, "print the alarms, their changes and the outbox as JSON")
	fs.BoolVar(&o.Mail, "mail", false, "print every email of the outbox whole")
	return o, fs
}

func (o *alarmsOptions) complete(args []string) error { return noArguments(args, "") }

func (o *alarmsOptions) run(ctx context.Context) int {
	if o.Admin == "" {
		st, err := readState()
		if err != nil {
			fmt.Fprintln(o.Err, "alarms:", err)
			return 2
		}
		o.Admin, o.Token = st.Admin, st.AdminToken
	}
	report, err := admin.Alarms(ctx, o.Admin, o.Token)
	if err != nil {
		fmt.Fprintln(o.Err, "alarms:", err)
		return 1
	}
	if o.JSON {
		return printJSON(o.Out, report)
	}
	clock := func(t time.Time) string { return t.UTC().Format("15:04:05") }
	fmt.Fprintf(o.Out, "%d alarm(s) at %s UTC (%s)\n", len(report.Alarms), report.Now.UTC().Format("2006-01-02 15:04:05"), report.Clock)
	tw := tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tSINCE\tALARM\tWHY")
	for _, a := range report.Alarms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.State, clock(a.Since), a.Name, a.Reason)
	}
	tw.Flush()
	fmt.Fprintf(o.Out, "\n%d state change(s), each notifying its actions' topics\n", len(report.Changes))
	tw = tabwriter.NewWriter(o.Out, 0, 0, 2, ' ', 0)
	for _, c := range report.Changes {
		var sent []string
		for _, n := range c.Notifications {
			what := "published to " + n.TopicArn
			if n.Error != "" {
				what = "not published to " + n.TopicArn + ": " + n.Error
			}
			sent = append(sent, what)
		}
		fmt.Fprintf(tw, "%s\t%s -> %s\t%s\t%s\n", clock(c.Time), c.OldState, c.NewState, c.Alarm, strings.Join(sent, "; "))
	}
	tw.Flush()
	fmt.Fprintf(o.Out, "\noutbox: %d email(s)\n", len(report.Outbox))
	for _, m := range report.Outbox {
		if o.Mail {
			fmt.Fprintf(o.Out, "---\nDate: %s\nTo: %s\nSubject: %s\n\n%s\n", m.Time.UTC().Format(time.RFC1123Z), m.To, m.Subject, m.Body)
			continue
		}
		fmt.Fprintf(o.Out, "%s  to %s  %s\n", clock(m.Time), m.To, m.Subject)
	}
	return 0
}

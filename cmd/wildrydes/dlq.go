package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// dlqOptions are what `wildrydes dlq list|redrive` reads: the dead-letter processor the
// workshop's Q&A asks for. Against the local system it reads the state file `local` wrote;
// against AWS, pass the queue URL and table name (the ride-record stack's outputs
// DeadLetterQueueUrl and RideRecordTableName, and UnstorableQueueUrl) and it uses your usual AWS
// credentials.
type dlqOptions struct {
	streams
	// Verb is list or redrive.
	Verb string
	// QueueURL, UnstorableURL and Table default to the running local system's.
	QueueURL, UnstorableURL, Table string
	// Max lists at most this many messages (0: all).
	Max  int
	JSON bool
}

func dlqCommands() []command {
	var out []command
	for _, verb := range []string{"list", "redrive"} {
		out = append(out, command{name: verb, new: func(s streams) (options, *flag.FlagSet) { return newDlqOptions(s, verb) }})
	}
	return out
}

func newDlqOptions(s streams, verb string) (options, *flag.FlagSet) {
	o := &dlqOptions{streams: s, Verb: verb}
	fs := flag.NewFlagSet("dlq "+verb, flag.ContinueOnError)
	fs.StringVar(&o.QueueURL, "queue-url", "", "dead-letter queue URL (default: the running local system's)")
	fs.StringVar(&o.UnstorableURL, "unstorable-queue-url", "", "queue of the rides no retry can store (default: the running local system's; with --queue-url, none unless given)")
	fs.StringVar(&o.Table, "table", "", "ride table name (default: the running local system's)")
	fs.IntVar(&o.Max, "max", 0, "list at most this many messages (0: all)")
	fs.BoolVar(&o.JSON, "json", false, "print JSON")
	return o, fs
}

func (o *dlqOptions) complete([]string) error { return nil }

func (o *dlqOptions) run(ctx context.Context) int {
	redriver, where, err := newRedriver(ctx, o.QueueURL, o.UnstorableURL, o.Table)
	if err != nil {
		fmt.Fprintln(o.Err, "dlq:", err)
		return 2
	}
	if o.Verb == "list" {
		listing, err := redriver.ListQueues(ctx, o.Max)
		if err != nil {
			fmt.Fprintln(o.Err, "dlq list:", err)
			return 1
		}
		if o.JSON {
			return printJSON(o.Out, listing)
		}
		printLetters(o.Out, listing.DeadLetters, fmt.Sprintf("waiting for the table in %s", where))
		if redriver.UnstorableURL != "" {
			printLetters(o.Out, listing.Unstorable, fmt.Sprintf("that can never be stored as they are, in %s", redriver.UnstorableURL))
		}
		return 0
	}
	report, err := redriver.Redrive(ctx)
	if err != nil {
		fmt.Fprintln(o.Err, "dlq redrive:", err)
		return 1
	}
	if o.JSON {
		printJSON(o.Out, report)
	} else {
		fmt.Fprintf(o.Out, "re-drove %s: %d message(s) received, %d stored and deleted, %d still in the queue\n",
			where, report.Received, report.Stored, report.Failed)
		for _, f := range report.Failures {
			fmt.Fprintf(o.Out, "- %s ride %s: %s\n", f.MessageID, f.RideID, f.Reason)
		}
		if report.Unstorable > 0 {
			fmt.Fprintf(o.Out, "%d message(s) can never be stored as they are: moved to %s\n", report.Unstorable, redriver.UnstorableURL)
			for _, f := range report.SetAside {
				fmt.Fprintf(o.Out, "- %s ride %s: %s\n", f.MessageID, f.RideID, f.Reason)
			}
		}
		if report.Unfinished != "" {
			fmt.Fprintf(o.Out, "stopped before the queue was done: %s; run it again\n", report.Unfinished)
		}
	}
	if report.Failed > 0 {
		return 1
	}
	return 0
}

// printLetters prints one queue's messages, each with why it is there.
func printLetters(w io.Writer, letters []riderecord.DeadLetter, what string) {
	fmt.Fprintf(w, "%d message(s) %s\n", len(letters), what)
	for _, l := range letters {
		fmt.Fprintf(w, "- %s  %s\n", l.MessageID, l.Reason())
		for _, r := range l.Rides {
			fmt.Fprintf(w, "    ride %s (%s, %s)\n", r.RideID, r.Unicorn.Name, r.RequestTime)
		}
		for _, p := range l.Problems {
			fmt.Fprintf(w, "    not a ride: %s\n", p)
		}
	}
}

func newRedriver(ctx context.Context, queueURL, unstorableURL, table string) (*riderecord.Redriver, string, error) {
	var sqsClient *sqs.Client
	var ddb *dynamodb.Client
	if queueURL == "" || table == "" {
		st, err := readState()
		if err != nil {
			return nil, "", fmt.Errorf("%w (or pass --queue-url and --table for a deployed stack)", err)
		}
		if queueURL == "" {
			queueURL = st.DeadLetterQueueUrl
			if unstorableURL == "" {
				unstorableURL = st.UnstorableQueueUrl
			}
		}
		if table == "" {
			table = st.RideTable
		}
		if queueURL == "" || table == "" {
			return nil, "", fmt.Errorf("the local system has no dead-letter queue or table at this step")
		}
		cfg := st.Config()
		sqsClient = sqs.NewFromConfig(cfg, viaProxy(st.SQS))
		// Through the fault switch, as the functions write: a re-drive during an outage fails
		// and leaves the messages where they are.
		ddb = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(st.DynamoDB) })
	} else {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, "", err
		}
		sqsClient, ddb = sqs.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)
	}
	// The report says what happened to each message; the per-message log lines would repeat it.
	return &riderecord.Redriver{Queue: sqsClient, QueueURL: queueURL, UnstorableURL: unstorableURL, Logger: slog.New(slog.DiscardHandler),
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: ddb, TableName: table}}}, queueURL, nil
}

// readState reads the state file the running local system wrote.
func readState() (localstate.State, error) {
	root, err := synth.Root()
	if err != nil {
		return localstate.State{}, err
	}
	return localstate.Read(localstate.Path(root))
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

// viaProxy sends a client's calls through the local system's SQS proxy, as the functions send
// theirs, so its CloudWatch metrics count them (a state file without one: to the emulator).
func viaProxy(endpoint string) func(*sqs.Options) {
	return func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/wildrydes/wild-rydes-cdk/internal/service/riderecord"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/localstate"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/synth"
)

// dlqMain is `wildrydes dlq list|redrive`: the dead-letter processor the workshop's Q&A asks
// for. Against the local system it reads the state file `local` wrote; against AWS, pass the
// queue URL and table name (the ride-record stack's outputs DeadLetterQueueUrl and
// RideRecordTableName) and it uses your usual AWS credentials.
func dlqMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		fmt.Fprintln(stderr, "usage: wildrydes dlq list|redrive [--queue-url URL --table NAME] [--json]")
		return 2
	}
	verb := args[0]
	fs := flag.NewFlagSet("dlq "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	queueURL := fs.String("queue-url", "", "dead-letter queue URL (default: the running local system's)")
	table := fs.String("table", "", "ride table name (default: the running local system's)")
	max := fs.Int("max", 0, "list at most this many messages (0: all)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx := context.Background()
	redriver, where, err := newRedriver(ctx, *queueURL, *table)
	if err != nil {
		fmt.Fprintln(stderr, "dlq:", err)
		return 2
	}
	if verb == "list" {
		letters, err := redriver.List(ctx, *max)
		if err != nil {
			fmt.Fprintln(stderr, "dlq list:", err)
			return 1
		}
		if *asJSON {
			return printJSON(stdout, letters)
		}
		fmt.Fprintf(stdout, "%d message(s) in %s\n", len(letters), where)
		for _, l := range letters {
			fmt.Fprintf(stdout, "- %s  error %s: %s\n", l.MessageID, l.ErrorCode, l.ErrorMessage)
			for _, r := range l.Rides {
				fmt.Fprintf(stdout, "    ride %s (%s, %s)\n", r.RideID, r.Unicorn.Name, r.RequestTime)
			}
			for _, p := range l.Problems {
				fmt.Fprintf(stdout, "    not a ride: %s\n", p)
			}
		}
		return 0
	}
	report, err := redriver.Redrive(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "dlq redrive:", err)
		return 1
	}
	if *asJSON {
		printJSON(stdout, report)
	} else {
		fmt.Fprintf(stdout, "re-drove %s: %d message(s) received, %d stored and deleted, %d still in the queue\n",
			where, report.Received, report.Stored, report.Failed)
		for _, f := range report.Failures {
			fmt.Fprintf(stdout, "- %s ride %s: %s\n", f.MessageID, f.RideID, f.Reason)
		}
	}
	if report.Failed > 0 {
		return 1
	}
	return 0
}

func newRedriver(ctx context.Context, queueURL, table string) (*riderecord.Redriver, string, error) {
	var sqsClient *sqs.Client
	var ddb *dynamodb.Client
	if queueURL == "" || table == "" {
		st, err := readState()
		if err != nil {
			return nil, "", fmt.Errorf("%w (or pass --queue-url and --table for a deployed stack)", err)
		}
		if queueURL == "" {
			queueURL = st.DeadLetterQueueUrl
		}
		if table == "" {
			table = st.RideTable
		}
		if queueURL == "" || table == "" {
			return nil, "", fmt.Errorf("the local system has no dead-letter queue or table at this step")
		}
		cfg := st.Config()
		sqsClient = sqs.NewFromConfig(cfg)
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
	return &riderecord.Redriver{Queue: sqsClient, QueueURL: queueURL, Logger: slog.New(slog.DiscardHandler),
		Recorder: &riderecord.Recorder{Store: riderecord.DynamoDBStore{Client: ddb, TableName: table}}}, queueURL, nil
}

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

// faultMain is `wildrydes fault --for 30s`: make the running local system's table unavailable.
func faultMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fault", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := fs.Duration("for", 30*time.Second, "how long the ride table stays unavailable (0 ends the fault)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	st, err := readState()
	if err != nil {
		fmt.Fprintln(stderr, "fault:", err)
		return 2
	}
	body, _ := json.Marshal(map[string]string{"unavailableFor": d.String()})
	resp, err := http.Post(st.Admin+"/faults/table", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(stderr, "fault:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		fmt.Fprintf(stderr, "fault: %s: %s\n", resp.Status, msg)
		return 1
	}
	if *d > 0 {
		fmt.Fprintf(stdout, "the ride table is unavailable for %s: rides are still accepted, retried, then dead-lettered\n", *d)
	} else {
		fmt.Fprintln(stdout, "the ride table is available again")
	}
	return 0
}

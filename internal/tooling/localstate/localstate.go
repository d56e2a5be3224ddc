// Package localstate is the file by which `wildrydes local` tells the other commands (load, dlq,
// fault, bench, rollout) how to reach the system it runs: one definition of its path and schema,
// and of the account and credentials the local system stands for.
package localstate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/atomicfile"
)

// RelPath is where the state file lives, relative to the repository root.
const RelPath = "cdk.out/local/state.json"

// The region, the account the emulator pretends to be (moto's default) and the credentials that
// sign requests to it: the local system's defaults, declared once.
const (
	Region          = "us-east-1"
	AccountID       = "123456789012"
	AccessKeyID     = "local"
	SecretAccessKey = "local"
)

// Path is the state file of the repository at root.
func Path(root string) string { return filepath.Join(root, filepath.FromSlash(RelPath)) }

// Credentials sign requests to the local system.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
}

// Config is the one AWS configuration of the local system: its credentials, region (empty:
// Region) and endpoint, with a timeout on every call. The local system's own clients, the console
// and the commands that reach it all build their clients from it; a client that must reach
// another endpoint of the system (DynamoDB through the fault switch) sets its BaseEndpoint.
func Config(region, endpoint string) aws.Config {
	if region == "" {
		region = Region
	}
	return aws.Config{
		Region:       region,
		Credentials:  Credentials(),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
}

// Config is the AWS configuration that reaches the emulator of the system this state describes.
func (s State) Config() aws.Config { return Config(s.Region, s.Endpoint) }

// CloudFormationConfig is the AWS configuration that reaches its CloudFormation endpoint.
func (s State) CloudFormationConfig() aws.Config { return Config(s.Region, s.CloudFormation) }

// State is what other commands need to reach the running system.
type State struct {
	Region   string
	Endpoint string // the emulator
	DynamoDB string // DynamoDB through the fault switch, as the functions see it
	SQS      string `json:",omitempty"` // SQS through the proxy that records its CloudWatch metrics, as the functions see it
	SNS      string `json:",omitempty"` // SNS as the functions see it: Subscribe an email here to receive alarms in the outbox
	Admin    string // POST {"unavailableFor":"30s"} to Admin+"/faults/table"
	// AdminToken is what the admin endpoints require (admin.Authorize): new for each run.
	AdminToken string
	// CloudFormation is the local CloudFormation endpoint: DescribeStacks and
	// ContinueUpdateRollback through the SDK's client (CloudFormationConfig).
	CloudFormation string
	ApiUrl         string // the API riders book rides on (POST /ride)
	RecordApiUrl   string // the ride-record API (POST /record)
	// RideTable is the table rides are stored in and DeadLetterQueueUrl the queue of the rides
	// that could not be stored yet (empty before the subscriber's step): found by their roles in
	// the model of the deployed templates.
	RideTable          string
	DeadLetterQueueUrl string
	// UnstorableQueueUrl holds the rides no retry can store, with their reasons ("" before the
	// subscriber exists).
	UnstorableQueueUrl string `json:",omitempty"`
	Stacks             map[string]StackState
	Tables             map[string]string // logical ID -> table name
	Queues             map[string]string // logical ID -> queue URL
	ConsoleUrl         string            `json:",omitempty"` // the web console
}

// StackState is one deployed stack: its outputs and physical IDs.
type StackState struct {
	Outputs  map[string]string
	Physical map[string]string
}

// ErrNotRunning means there is no state file: no local system is running.
var ErrNotRunning = errors.New("no local system is running")

// Read reads the state file at path.
func Read(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("%w (%s is missing): start it with `wildrydes local`", ErrNotRunning, path)
	}
	if err != nil {
		return st, fmt.Errorf("reading the local state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("reading the local state %s: %w", path, err)
	}
	return st, nil
}

// NewToken is a new per-run token for the admin endpoints.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Write replaces the state file at path, readable by the user alone: it holds the admin token.
func (s State) Write(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

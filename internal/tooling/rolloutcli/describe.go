package rolloutcli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/rollout"
)

// Stacks reads where a stack is.
type Stacks interface {
	State(ctx context.Context, name string) (rollout.State, error)
}

// CloudFormation reads a stack's Step output with DescribeStacks (the query API, signed with the
// user's credentials), so the tool needs no SDK beyond the one the functions use.
type CloudFormation struct {
	Endpoint    string
	Region      string
	Credentials aws.CredentialsProvider
	HTTP        *http.Client
}

// NewCloudFormation uses the default AWS configuration; endpoint overrides
// AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL and the region's endpoint.
func NewCloudFormation(ctx context.Context, endpoint string) (*CloudFormation, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region: set AWS_REGION or a profile's region")
	}
	for _, e := range []string{endpoint, os.Getenv("AWS_ENDPOINT_URL_CLOUDFORMATION"), os.Getenv("AWS_ENDPOINT_URL")} {
		if e != "" {
			endpoint = e
			break
		}
	}
	if endpoint == "" {
		endpoint = fmt.Sprintf("https://cloudformation.%s.amazonaws.com", cfg.Region)
	}
	return &CloudFormation{Endpoint: endpoint, Region: cfg.Region, Credentials: cfg.Credentials, HTTP: &http.Client{Timeout: 30 * time.Second}}, nil
}

type describeResponse struct {
	Stacks []struct {
		StackName   string `xml:"StackName"`
		StackStatus string `xml:"StackStatus"`
		Outputs     []struct {
			OutputKey   string `xml:"OutputKey"`
			OutputValue string `xml:"OutputValue"`
		} `xml:"Outputs>member"`
	} `xml:"DescribeStacksResult>Stacks>member"`
}

type errorResponse struct {
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
}

// State is Absent when CloudFormation has no such stack, else the stack's Step output.
func (c *CloudFormation) State(ctx context.Context, name string) (rollout.State, error) {
	body := url.Values{"Action": {"DescribeStacks"}, "Version": {"2010-05-15"}, "StackName": {name}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return 0, fmt.Errorf("AWS credentials: %w", err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cloudformation", c.Region, time.Now()); err != nil {
		return 0, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, fmt.Errorf("DescribeStacks %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		var e errorResponse
		_ = xml.Unmarshal(raw, &e)
		if e.Code == "ValidationError" && strings.Contains(e.Message, "does not exist") {
			return rollout.Absent, nil
		}
		return 0, fmt.Errorf("DescribeStacks %s: %s %s: %s", name, resp.Status, e.Code, e.Message)
	}
	var out describeResponse
	if err := xml.NewDecoder(bytes.NewReader(raw)).Decode(&out); err != nil {
		return 0, fmt.Errorf("DescribeStacks %s: %w", name, err)
	}
	if len(out.Stacks) != 1 {
		return 0, fmt.Errorf("DescribeStacks %s: %d stacks in the answer", name, len(out.Stacks))
	}
	st := out.Stacks[0]
	switch {
	case st.StackStatus == "DELETE_COMPLETE":
		return rollout.Absent, nil
	case strings.HasSuffix(st.StackStatus, "_IN_PROGRESS"):
		return 0, fmt.Errorf("%s is %s: wait until it finishes", name, st.StackStatus)
	case st.StackStatus == "ROLLBACK_COMPLETE" || strings.HasSuffix(st.StackStatus, "_FAILED"):
		return 0, fmt.Errorf("%s is %s: CloudFormation cannot update it; delete it (ROLLBACK_COMPLETE) or fix it first", name, st.StackStatus)
	}
	for _, o := range st.Outputs {
		if o.OutputKey == design.StepOutput {
			n, err := strconv.Atoi(o.OutputValue)
			if err != nil || design.Step(n).Validate() != nil {
				return 0, fmt.Errorf("%s: output %s = %q is no step", name, design.StepOutput, o.OutputValue)
			}
			return rollout.State(n), nil
		}
	}
	return 0, fmt.Errorf("%s has no %s output: it was deployed before the templates said their step; deploy it once by hand at the step it is at (cdk deploy -c step=K %s)", name, design.StepOutput, name)
}

package lambda

import (
	"errors"
	"sync"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/local/cloudwatch"
)

// DefaultAccountConcurrency is an account's concurrent executions in a Region unless raised
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
const DefaultAccountConcurrency = 1000

// ErrThrottled is Lambda's answer to an invocation over its function's concurrency: HTTP 429,
// TooManyRequestsException, "Rate Exceeded."
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
var ErrThrottled = errors.New("TooManyRequestsException: Rate Exceeded.")

// concurrency is Lambda's concurrency control: a function with reserved concurrency runs at most
// that many invocations at once; the others share what the account has left after every
// reservation (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
type concurrency struct {
	// limits off: every invocation runs (they are still counted, for ConcurrentExecutions).
	limits  bool
	account int

	mu         sync.Mutex
	reserved   map[string]int // by function ARN
	running    map[string]int // by function ARN
	unreserved int            // running invocations of functions without a reservation
}

func newConcurrency(limits bool, account int) *concurrency {
	if account <= 0 {
		account = DefaultAccountConcurrency
	}
	return &concurrency{limits: limits, account: account, reserved: map[string]int{}, running: map[string]int{}}
}

// reserve sets a function's reserved concurrency (nil: none).
func (c *concurrency) reserve(arn string, n *int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n == nil {
		delete(c.reserved, arn)
		return
	}
	c.reserved[arn] = *n
}

// acquire starts an invocation of arn if its concurrency allows, and says how many of the
// function's invocations then run.
func (c *concurrency) acquire(arn string) (running int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, reserved := c.reserved[arn]
	if c.limits {
		switch {
		case reserved && c.running[arn] >= n:
			return c.running[arn], false
		case !reserved && c.unreserved >= c.unreservedPool():
			return c.running[arn], false
		}
	}
	c.running[arn]++
	if !reserved {
		c.unreserved++
	}
	return c.running[arn], true
}

func (c *concurrency) release(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running[arn]--
	if _, reserved := c.reserved[arn]; !reserved {
		c.unreserved--
	}
}

// unreservedPool is what the functions without a reservation share. The caller holds c.mu.
func (c *concurrency) unreservedPool() int {
	pool := c.account
	for _, n := range c.reserved {
		pool -= n
	}
	return pool
}

// The AWS/Lambda metrics Lambda records for each function
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), by FunctionName.

// Metrics is where the service records them (*cloudwatch.Store is one).
type Metrics interface {
	Put(m cloudwatch.Metric, value float64, unit string)
}

func (s *Service) metric(function, name string, value float64, unit string) {
	if s.opts.Metrics != nil {
		s.opts.Metrics.Put(cloudwatch.Metric{Namespace: "AWS/Lambda", Name: name,
			Dimensions: map[string]string{"FunctionName": function}}, value, unit)
	}
}

// invoked records one invocation that ran: Invocations, Errors (1 when it failed: a function
// error, a timeout, a crash; else 0, so that an alarm on Errors sees a datapoint each period with
// invocations), and its Duration.
func (s *Service) invoked(function string, failed bool, d time.Duration) {
	s.metric(function, "Invocations", 1, "Count")
	errs := 0.0
	if failed {
		errs = 1
	}
	s.metric(function, "Errors", errs, "Count")
	s.metric(function, "Duration", float64(d.Microseconds())/1000, "Milliseconds")
}

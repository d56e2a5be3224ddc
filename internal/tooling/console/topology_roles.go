package console

import (
	"regexp"
	"slices"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/model"
)

// cdkHash is the hash CDK ends the logical IDs it makes with: 8 upper-case hex digits of the
// construct's path. A name without it is the construct's ID, which the stacks' code chose.
var cdkHash = regexp.MustCompile(`^(.+?)[0-9A-F]{8}$`)

func withoutHash(logicalID string) string {
	if m := cdkHash.FindStringSubmatch(logicalID); m != nil {
		return m[1]
	}
	return logicalID
}

// role says what a resource does in the system, as the model finds it; "" when it knows no
// more than the resource's kind.
func role(sys *model.System, resource any) string {
	switch v := resource.(type) {
	case *model.Function:
		switch {
		case v.HandsOffRides():
			return "books rides"
		case v.Entry == "lambdas/rollout-guard":
			return "rollout guard"
		case slices.ContainsFunc(sys.DeadLetterQueues(), func(q *model.Queue) bool { return v.Allows("sqs:ReceiveMessage", &q.Resource) }):
			return "re-drives dead letters"
		case sys.StoredBy(v) != nil:
			return "stores rides"
		}
	case *model.Topic:
		for _, st := range sys.Stacks {
			for _, a := range st.Alarms {
				for _, action := range a.Actions {
					if sys.Target(st, action) == v {
						return "alarm topic"
					}
				}
			}
		}
		for _, f := range sys.Functions() {
			if sys.PublishesTo(f, design.EnvTopicARN) == v || f.Allows("sns:Publish", &v.Resource) {
				return "rides topic"
			}
		}
	case *model.Table:
		if slices.Contains(sys.RideTables(), v) {
			return "ride table"
		}
		for _, f := range sys.Functions() {
			if sys.Table(f, design.EnvIdempotencyTableName) == v {
				return "idempotency keys"
			}
		}
	case *model.Queue:
		if sys.IsDeadLetterQueue(v) {
			return "dead-letter queue"
		}
		for _, f := range sys.Functions() {
			if sys.Queue(f, design.EnvUnstorableQueueURL) == v {
				return "unstorable rides"
			}
		}
	}
	return ""
}

package model

import (
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

// queuePolicy stands for a resource type a new file would describe: a reader registered with
// describe, its values listed by Described and found by Value, following a reference to a value
// of describeStack's own.
type queuePolicy struct {
	Resource
	Queues []*Queue
}

func TestARegisteredReaderDescribesItsTypeAfterTheBuiltInOnes(t *testing.T) {
	saved := readers
	t.Cleanup(func() { readers = saved })
	describe("AWS::SQS::QueuePolicy", func(st *Stack, r *Resource) any {
		p := &queuePolicy{Resource: *r}
		for _, q := range list(r.Source.Properties["Queues"]) {
			if queue, ok := st.Value(refName(q)).(*Queue); ok {
				p.Queues = append(p.Queues, queue)
			}
		}
		return p
	})
	tmpl, err := cfn.ParseTemplate([]byte(`{"Resources": {
		"Q": {"Type": "AWS::SQS::Queue"},
		"P": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Q"}]}},
		"T": {"Type": "AWS::SNS::Topic"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := describeStack(&cfn.Stack{Name: "s", Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	got := Described[*queuePolicy](st)
	if len(got) != 1 || got[0].LogicalID != "P" || len(got[0].Queues) != 1 || got[0].Queues[0].LogicalID != "Q" {
		t.Fatalf("described %+v, want P with its queue Q", got)
	}
	if st.Value("P") != got[0] {
		t.Errorf("Value(P) = %v, want the described policy", st.Value("P"))
	}
	if n := len(Described[*Queue](st)); n != 0 {
		t.Errorf("Described lists %d built-in values, want only the registered readers'", n)
	}
}

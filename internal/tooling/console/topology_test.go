package console

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/wildrydes/wild-rydes-cdk/internal/tooling/cfn"
)

func TestTopologyOfTheCommittedAssemblyWiresTheRidePath(t *testing.T) {
	asm, err := cfn.LoadAssembly(filepath.Join("..", "cfn", "testdata", "cdk.out"))
	if err != nil {
		t.Fatal(err)
	}
	top := topologyOf(t, asm)
	var got []string
	for _, e := range top.Edges {
		from, _ := top.node(e.From)
		to, _ := top.node(e.To)
		got = append(got, from.Kind+" -"+e.Label+"-> "+to.Kind)
	}
	sort.Strings(got)
	for _, want := range []string{
		"route -invokes-> function", "function -publish-> topic", "topic -delivers-> subscription",
		"subscription -async invoke-> function", "subscription -undeliverable-> queue",
		"function -PutItem-> table", "function -failed attempts-> queue", "queue -alarm-> alarm",
	} {
		if !contains(got, want) {
			t.Errorf("no edge %q in %v", want, got)
		}
	}
	alarms := top.byKind("alarm")
	if len(alarms) != 1 || alarms[0].Threshold != 1 || !alarms[0].alarmed(1) || alarms[0].alarmed(0) {
		t.Errorf("alarm %+v: want the template's rule, at least 1 message", alarms)
	}
	if len(top.Stacks) != 2 {
		t.Errorf("stacks %v, want both", top.Stacks)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestTheFinalStateDrawsWhatEachAlarmWatchesAndTheTopicItNotifies(t *testing.T) {
	top := topologyOf(t, final)
	var got []string
	for _, e := range top.Edges {
		from, _ := top.node(e.From)
		to, _ := top.node(e.To)
		got = append(got, from.Kind+" -"+e.Label+"-> "+to.Kind)
	}
	for _, want := range []string{"queue -alarm-> alarm", "function -alarm-> alarm", "alarm -notifies-> topic"} {
		if !contains(got, want) {
			t.Errorf("no edge %q in %v", want, got)
		}
	}
}

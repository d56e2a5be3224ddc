package metrics

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wildrydes/wild-rydes-cdk/internal/design"
)

var at = time.Date(2026, 11, 22, 10, 0, 1, 500e6, time.UTC)

func newEmitter(buf *bytes.Buffer, stage string) *Emitter {
	e := New(buf, stage)
	e.Now = func() time.Time { return at }
	return e
}

func TestEachLineIsEmbeddedMetricFormatThatCloudWatchExtracts(t *testing.T) {
	tests := []struct {
		name  string
		stage string
		line  Line
		want  map[string][]float64 // datum key → values
		unit  map[string]string    // metric → unit
	}{
		{"a booked ride is one count under the stage", "dev",
			Line{Values: []Value{One(design.MetricRidesBooked)}},
			map[string][]float64{"WildRydes/RidesBooked{Stage=dev}": {1}}, map[string]string{"RidesBooked": "Count"}},
		{"a hand-off is counted in total and by its path", "prod",
			Line{Values: []Value{One(design.MetricRidesBooked), One(design.MetricRidesHandedOff)}, Dimensions: map[string]string{design.DimensionPath: design.HandoffSNS}},
			map[string][]float64{
				"WildRydes/RidesBooked{Stage=prod}":             {1},
				"WildRydes/RidesHandedOff{Stage=prod}":          {1},
				"WildRydes/RidesHandedOff{Path=SNS,Stage=prod}": {1},
			}, nil},
		{"a stored ride carries its delivery latency in milliseconds", "dev",
			Line{Values: []Value{One(design.MetricRidesStored), {design.MetricDeliveryLatency, 1377}}, RideID: "r-1"},
			map[string][]float64{"WildRydes/RidesStored{Stage=dev}": {1}, "WildRydes/DeliveryLatency{Stage=dev}": {1377}},
			map[string]string{"DeliveryLatency": "Milliseconds"}},
		{"a function that does not know its stage says unknown", "",
			Line{Values: []Value{One(design.MetricRidesRedriven)}},
			map[string][]float64{"WildRydes/RidesRedriven{Stage=unknown}": {1}}, nil},
		{"a dimension the caller forgot is unknown rather than a line CloudWatch drops", "dev",
			Line{Values: []Value{One(design.MetricRidesDeadLettered)}},
			map[string][]float64{"WildRydes/RidesDeadLettered{Stage=dev}": {1}, "WildRydes/RidesDeadLettered{Reason=unknown,Stage=dev}": {1}}, nil},
		{"two values of one metric become one array", "dev",
			Line{Values: []Value{{design.MetricDeliveryLatency, 10}, {design.MetricDeliveryLatency, 20}}},
			map[string][]float64{"WildRydes/DeliveryLatency{Stage=dev}": {10, 20}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			newEmitter(&buf, tt.stage).Emit(tt.line)
			if n := strings.Count(buf.String(), "\n"); n != 1 || !strings.HasSuffix(buf.String(), "\n") {
				t.Fatalf("wrote %d lines, want one line:\n%s", n, buf.String())
			}
			data, err := Parse(buf.Bytes())
			if err != nil {
				t.Fatalf("CloudWatch would extract nothing from %s: %v", buf.String(), err)
			}
			got := map[string][]float64{}
			for _, d := range data {
				got[d.String()] = d.Values
				if !d.Time.Equal(at) {
					t.Errorf("%s at %v, want the emitter's clock %v", d.String(), d.Time, at)
				}
				if want, ok := tt.unit[d.Name]; ok && d.Unit != want {
					t.Errorf("%s unit %q, want %q", d.Name, d.Unit, want)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("extracted %v\nwant %v\nfrom %s", got, tt.want, buf.String())
			}
			if tt.line.RideID != "" && !strings.Contains(buf.String(), `"RideId":"`+tt.line.RideID+`"`) {
				t.Errorf("line %s does not carry the RideId", buf.String())
			}
		})
	}
}

func TestANilEmitterAndAnEmptyLineWriteNothing(t *testing.T) {
	var e *Emitter
	e.Emit(Line{Values: []Value{One(design.MetricRidesBooked)}}) // must not panic
	var buf bytes.Buffer
	newEmitter(&buf, "dev").Emit(Line{})
	if buf.Len() != 0 {
		t.Errorf("an empty line wrote %q", buf.String())
	}
}

func TestEveryDeclaredMetricIsPublishedUnderTheStageInTheNamespace(t *testing.T) {
	for _, m := range design.Metrics() {
		t.Run(m.Name, func(t *testing.T) {
			if m.Unit != design.UnitCount && m.Unit != design.UnitMilliseconds {
				t.Errorf("unit %q is not one the dashboard expects", m.Unit)
			}
			for _, set := range m.DimensionSets {
				if len(set) == 0 || set[0] != design.DimensionStage {
					t.Errorf("dimension set %v does not start with the stage", set)
				}
			}
			var buf bytes.Buffer
			newEmitter(&buf, "dev").Emit(Line{Values: []Value{One(m)}, Dimensions: map[string]string{
				design.DimensionPath: design.HandoffHTTP, design.DimensionReason: design.ReasonConflict}})
			data, err := Parse(buf.Bytes())
			if err != nil || len(data) != len(m.DimensionSets) {
				t.Fatalf("extracted %d data (%v), want one per dimension set (%d)", len(data), err, len(m.DimensionSets))
			}
			for _, d := range data {
				if d.Namespace != design.MetricNamespace || d.Dimensions[design.DimensionStage] != "dev" {
					t.Errorf("datum %s, want namespace %s and Stage=dev", d.String(), design.MetricNamespace)
				}
			}
		})
	}
}

func TestParseRefusesWhatTheSpecificationRefusesAndIgnoresOrdinaryLines(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"an ordinary log line has no metrics", `{"level":"INFO","msg":"ride recorded"}`, ""},
		{"a text line has no metrics", `START RequestId: 1`, ""},
		{"a line without a timestamp is refused", `{"_aws":{"CloudWatchMetrics":[]}}`, "Timestamp is missing"},
		{"a line without directives is refused", `{"_aws":{"Timestamp":1}}`, "CloudWatchMetrics is missing"},
		{"a member spelled with an escape is still _aws", `{"\u005faws":{"Timestamp":1}}`, "CloudWatchMetrics is missing"},
		{"a directive without a namespace is refused", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[]}]}}`, "Namespace"},
		{"a dimension missing from the root is refused", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Stage"]],"Metrics":[{"Name":"M"}]}]},"M":1}`, "dimension Stage"},
		{"a metric missing from the root is refused", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]}}`, "metric M"},
		{"a metric that is a string is refused", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"M"}]}]},"M":"1"}`, "metric M"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := Parse([]byte(tt.line))
			if tt.want == "" {
				if err != nil || data != nil {
					t.Errorf("Parse = %v, %v; want nothing", data, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestTheLineIsPlainJSONWithTheAWSMember(t *testing.T) {
	var buf bytes.Buffer
	newEmitter(&buf, "dev").Emit(Line{Values: []Value{One(design.MetricRidesStored)}})
	var root map[string]any
	if err := json.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("line %s is not JSON: %v", buf.String(), err)
	}
	aws, _ := root["_aws"].(map[string]any)
	if ts, _ := aws["Timestamp"].(float64); int64(ts) != at.UnixMilli() {
		t.Errorf("_aws.Timestamp = %v, want %d (milliseconds since the epoch)", aws["Timestamp"], at.UnixMilli())
	}
}

func TestALogIsReadLineByLineAndOrdinaryLinesAreSkipped(t *testing.T) {
	var buf bytes.Buffer
	e := newEmitter(&buf, "dev")
	buf.WriteString(`{"level":"INFO","msg":"ride recorded"}` + "\n")
	e.Emit(Line{Values: []Value{One(design.MetricRidesStored)}})
	buf.WriteString("REPORT RequestId: 1\tDuration: 2 ms\n")
	e.Emit(Line{Values: []Value{One(design.MetricRidesAlreadyStored)}})
	data, err := ParseLog(buf.Bytes())
	if err != nil || len(data) != 2 || data[0].String() != "WildRydes/RidesStored{Stage=dev}" || data[1].String() != "WildRydes/RidesAlreadyStored{Stage=dev}" {
		t.Errorf("ParseLog = %v, %v; want the two metrics in order", data, err)
	}
	if _, err := ParseLog([]byte("{}\n" + `{"_aws":{}}`)); err == nil || !strings.HasPrefix(err.Error(), "line 2:") {
		t.Errorf("ParseLog of a broken EMF line = %v, want an error naming line 2", err)
	}
}

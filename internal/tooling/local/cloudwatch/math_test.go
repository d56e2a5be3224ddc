package cloudwatch

import (
	"strings"
	"testing"
)

// Metric math as the local CloudWatch evaluates it, one period at a time: arithmetic with the
// usual precedence, unary minus and parentheses, FILL and ABS; a period with no datapoint, or a
// division by zero, has no value
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
func TestMetricMathEvaluatesEachPeriodAsCloudWatchDoes(t *testing.T) {
	two, five, none := 2.0, 5.0, (*float64)(nil)
	vars := map[string]*float64{"m1": &two, "m2": &five, "gap": none}
	tests := []struct {
		expr string
		want *float64
		ids  string
	}{
		{"m1 + m2 * 3", ptr(17), "m1 m2"},
		{"(m1 + m2) * 3", ptr(21), "m1 m2"},
		{"m2 - m1 - 1", ptr(2), "m2 m1"},
		{"m2 / m1", ptr(2.5), "m2 m1"},
		{"-m1 * -(m2)", ptr(10), "m1 m2"},
		{"ABS(m1 - m2)", ptr(3), "m1 m2"},
		{"abs(gap)", nil, "gap"},
		{"FILL(gap, 0) + m1", ptr(2), "gap m1"},
		{"FILL(m2, 0)", ptr(5), "m2"},
		{"gap + 1", nil, "gap"},
		{"m1 / (m2 - 5)", nil, "m1 m2"},
		{"m1 * .5", ptr(1), "m1"},
		{"unknown_id", nil, "unknown_id"},
	}
	for _, tt := range tests {
		e, ids, err := parseExpr(tt.expr)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		got := e(vars)
		switch {
		case tt.want == nil && got != nil:
			t.Errorf("%s = %v, want no value", tt.expr, *got)
		case tt.want != nil && (got == nil || *got != *tt.want):
			t.Errorf("%s = %v, want %v", tt.expr, got, *tt.want)
		}
		if strings.Join(ids, " ") != tt.ids {
			t.Errorf("%s reads %v, want %s", tt.expr, ids, tt.ids)
		}
	}
}

// What the local CloudWatch does not evaluate is refused, naming the expression and why.
func TestMetricMathRefusesWhatItDoesNotEvaluate(t *testing.T) {
	for expr, want := range map[string]string{
		"m1 +":           "ends too early",
		"(m1 + 1":        `want ")"`,
		"m1 m2":          `unexpected "m2"`,
		"RATE(m1)":       "RATE with 1 arguments is not a function the local CloudWatch evaluates",
		"FILL(m1)":       "FILL with 1 arguments",
		"FILL(m1 0)":     "want , or ) after an argument",
		"m1 * #":         `unexpected "#"`,
		"1.2.3":          "invalid syntax",
		"ABS(m1, m2, 3)": "ABS with 3 arguments",
		"FILL(m1, )":     "FILL with 1 arguments",
	} {
		_, _, err := parseExpr(expr)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), expr) {
			t.Errorf("parseExpr(%q) = %v, want an error naming it and saying %q", expr, err, want)
		}
	}
}

func ptr(v float64) *float64 { return &v }

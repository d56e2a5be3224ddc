package cfn

import "testing"

func TestNumberReadsLiteralNumbersAndNumbersWrittenAsStrings(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want float64
		ok   bool
	}{
		{"a JSON number", 128.0, 128, true},
		{"a Go int", 3, 3, true},
		{"a number written as a string", "0.5", 0.5, true},
		{"a word", "fast", 0, false},
		{"an intrinsic function", map[string]any{"Ref": "Memory"}, 0, false},
		{"nothing", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := Number(tt.in); got != tt.want || ok != tt.ok {
				t.Errorf("Number(%#v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

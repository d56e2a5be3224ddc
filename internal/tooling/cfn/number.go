package cfn

import "strconv"

// Number reads a literal number of a template: JSON's, or a string, since CloudFormation also
// accepts numbers written as strings.
func Number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

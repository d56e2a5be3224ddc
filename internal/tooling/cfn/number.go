package cfn

import "strconv"

// Number reads a literal number of a template: CloudFormation also accepts a number written as a
// string ("128"), as CDK writes some. ok is false for anything else, such as an intrinsic
// function whose value only a deploy knows.
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

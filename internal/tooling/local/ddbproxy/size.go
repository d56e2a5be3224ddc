package ddbproxy

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
)

// The item sizes DynamoDB meters capacity by
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
// a write unit covers 1 KB of item, a read unit 4 KB (strongly consistent; half a unit when
// eventually consistent).
const (
	writeUnitBytes = 1024
	readUnitBytes  = 4096
)

// item is an item, or a key, in DynamoDB's JSON: attribute name to attribute value.
type item map[string]attributeValue

// attributeValue is one typed value ({"S": "..."}, {"N": "1.5"}, {"M": {...}}, ...).
type attributeValue map[string]json.RawMessage

// size is the item's size as DynamoDB counts it: each attribute's name in UTF-8 bytes plus its
// value's size.
func (it item) size() int {
	n := 0
	for name, v := range it {
		n += len(name) + v.size()
	}
	return n
}

// size of one value: strings and binary by their bytes, a number by its significant digits
// (about one byte per two digits, plus one), null and booleans one byte, and a list or map three
// bytes plus one per element besides the elements themselves.
func (v attributeValue) size() int {
	n := 0
	for typ, raw := range v {
		switch typ {
		case "S":
			var s string
			_ = json.Unmarshal(raw, &s)
			n += len(s)
		case "N":
			var s string
			_ = json.Unmarshal(raw, &s)
			n += numberSize(s)
		case "B":
			n += binarySize(raw)
		case "BOOL", "NULL":
			n++
		case "SS", "NS", "BS":
			var set []string
			_ = json.Unmarshal(raw, &set)
			for _, e := range set {
				switch typ {
				case "SS":
					n += len(e)
				case "NS":
					n += numberSize(e)
				default:
					b, _ := base64.StdEncoding.DecodeString(e)
					n += len(b)
				}
			}
		case "M":
			var m item
			_ = json.Unmarshal(raw, &m)
			n += 3 + len(m) + m.size()
		case "L":
			var l []attributeValue
			_ = json.Unmarshal(raw, &l)
			n += 3 + len(l)
			for _, e := range l {
				n += e.size()
			}
		}
	}
	return n
}

func binarySize(raw json.RawMessage) int {
	var s string
	_ = json.Unmarshal(raw, &s)
	b, _ := base64.StdEncoding.DecodeString(s)
	return len(b)
}

// numberSize is a number's stored size: one byte per two significant digits, plus one.
func numberSize(s string) int {
	s = strings.TrimLeft(strings.ToLower(s), "+-")
	if i := strings.IndexByte(s, 'e'); i >= 0 {
		s = s[:i]
	}
	digits := strings.Trim(strings.Replace(s, ".", "", 1), "0")
	if digits == "" {
		return 1
	}
	return (len(digits)+1)/2 + 1
}

// units is how many capacity units size bytes take, per unit of unit bytes: at least one.
func units(size, unit int) float64 {
	return math.Max(1, math.Ceil(float64(size)/float64(unit)))
}

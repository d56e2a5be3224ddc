package cloudwatch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// expr is a parsed metric math expression, evaluated one period at a time: the value of each
// metric ID in the period (nil: no datapoint) in, the expression's value out (nil: no value).
// The local CloudWatch evaluates arithmetic (+ - * /, unary minus, parentheses), numbers, metric
// IDs and the functions FILL(x, value) and ABS(x): what the templates' alarms and dashboards use.
// Arithmetic with a period that has no datapoint has no value, which FILL fills.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
type expr func(vars map[string]*float64) *float64

// parseExpr parses s; an error names what the local CloudWatch does not evaluate.
func parseExpr(s string) (expr, []string, error) {
	p := &exprParser{src: s}
	p.next()
	e, err := p.sum()
	if err == nil && p.tok != "" {
		err = fmt.Errorf("unexpected %q", p.tok)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("metric math %q: %w", s, err)
	}
	return e, p.ids, nil
}

type exprParser struct {
	src string
	pos int
	tok string // the current token; "" at the end
	ids []string
}

func (p *exprParser) next() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	start := p.pos
	c := rune(p.src[p.pos])
	switch {
	case unicode.IsLetter(c) || c == '_':
		for p.pos < len(p.src) && (unicode.IsLetter(rune(p.src[p.pos])) || unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '_') {
			p.pos++
		}
	case unicode.IsDigit(c) || c == '.':
		for p.pos < len(p.src) && (unicode.IsDigit(rune(p.src[p.pos])) || p.src[p.pos] == '.') {
			p.pos++
		}
	default:
		p.pos++
	}
	p.tok = p.src[start:p.pos]
}

// sum := product (("+" | "-") product)*
func (p *exprParser) sum() (expr, error) {
	left, err := p.product()
	for err == nil && (p.tok == "+" || p.tok == "-") {
		op := p.tok
		p.next()
		var right expr
		if right, err = p.product(); err == nil {
			left = arith(op, left, right)
		}
	}
	return left, err
}

// product := unary (("*" | "/") unary)*
func (p *exprParser) product() (expr, error) {
	left, err := p.unary()
	for err == nil && (p.tok == "*" || p.tok == "/") {
		op := p.tok
		p.next()
		var right expr
		if right, err = p.unary(); err == nil {
			left = arith(op, left, right)
		}
	}
	return left, err
}

// unary := "-" unary | primary
func (p *exprParser) unary() (expr, error) {
	if p.tok == "-" {
		p.next()
		e, err := p.unary()
		return arith("-", constant(0), e), err
	}
	return p.primary()
}

// primary := number | id | FUNC "(" args ")" | "(" sum ")"
func (p *exprParser) primary() (expr, error) {
	tok := p.tok
	switch {
	case tok == "":
		return nil, fmt.Errorf("the expression ends too early")
	case tok == "(":
		p.next()
		e, err := p.sum()
		if err == nil {
			err = p.expect(")")
		}
		return e, err
	case unicode.IsDigit(rune(tok[0])) || tok[0] == '.':
		v, err := strconv.ParseFloat(tok, 64)
		p.next()
		return constant(v), err
	case unicode.IsLetter(rune(tok[0])) || tok[0] == '_':
		p.next()
		if p.tok != "(" {
			p.ids = append(p.ids, tok)
			return func(vars map[string]*float64) *float64 { return vars[tok] }, nil
		}
		return p.call(strings.ToUpper(tok))
	}
	return nil, fmt.Errorf("unexpected %q", tok)
}

func (p *exprParser) call(name string) (expr, error) {
	p.next() // "("
	var args []expr
	for p.tok != ")" {
		a, err := p.sum()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.tok == "," {
			p.next()
		} else if p.tok != ")" {
			return nil, fmt.Errorf("%s: want , or ) after an argument, not %q", name, p.tok)
		}
	}
	p.next()
	switch {
	case name == "FILL" && len(args) == 2:
		x, fill := args[0], args[1]
		return func(vars map[string]*float64) *float64 {
			if v := x(vars); v != nil {
				return v
			}
			return fill(vars)
		}, nil
	case name == "ABS" && len(args) == 1:
		x := args[0]
		return func(vars map[string]*float64) *float64 {
			if v := x(vars); v != nil {
				a := *v
				if a < 0 {
					a = -a
				}
				return &a
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("%s with %d arguments is not a function the local CloudWatch evaluates (FILL(x, value), ABS(x))", name, len(args))
}

func (p *exprParser) expect(tok string) error {
	if p.tok != tok {
		return fmt.Errorf("want %q, not %q", tok, p.tok)
	}
	p.next()
	return nil
}

func constant(v float64) expr { return func(map[string]*float64) *float64 { return &v } }

func arith(op string, a, b expr) expr {
	return func(vars map[string]*float64) *float64 {
		x, y := a(vars), b(vars)
		if x == nil || y == nil {
			return nil
		}
		var r float64
		switch op {
		case "+":
			r = *x + *y
		case "-":
			r = *x - *y
		case "*":
			r = *x * *y
		case "/":
			if *y == 0 {
				return nil // CloudWatch drops a division by zero from the result
			}
			r = *x / *y
		}
		return &r
	}
}

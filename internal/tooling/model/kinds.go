package model

// A resource type the model did not describe before is described in one file of its own: the
// type of its model value and the reader, registered with describe in the file's init. The
// reader runs after describeStack's own (it can follow references to any of them with
// Stack.Value), and Described lists what it read, so no field of Stack, no line of describe.go
// and no second copy of the template's reading is needed.

type reader struct {
	typ  string
	read func(st *Stack, r *Resource) any
}

var readers []reader

// describe registers read for every resource of type typ; a nil answer leaves it undescribed.
func describe(typ string, read func(st *Stack, r *Resource) any) {
	readers = append(readers, reader{typ, read})
}

// describeRegistered runs the registered readers over the stack's resources, in logical ID order.
func describeRegistered(st *Stack) {
	for _, rd := range readers {
		for _, res := range st.Resources {
			if res.Type != rd.typ {
				continue
			}
			if v := rd.read(st, res); v != nil {
				st.byID[res.LogicalID] = v
				st.described = append(st.described, v)
			}
		}
	}
}

// Value is the model's value for the stack's resource of that logical ID (a *Function, a
// *Table, what a registered reader made, ...), or nil.
func (s *Stack) Value(logicalID string) any { return s.byID[logicalID] }

// Described lists the stack's values of type T made by registered readers, in logical ID order.
func Described[T any](s *Stack) []T {
	var out []T
	for _, v := range s.described {
		if t, ok := v.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

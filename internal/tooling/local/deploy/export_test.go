package deploy

// Registry is every resource type the engine declares: "" for a type the local system runs,
// else why it is a placeholder.
func Registry() map[string]string {
	out := map[string]string{}
	for typ, p := range providers {
		out[typ] = p.placeholder
	}
	return out
}

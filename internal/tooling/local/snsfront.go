package local

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// maxSNSMessage is SNS's limit on a message, 256 KB.
const maxSNSMessage = 256 << 10

// snsFront is the functions' SNS endpoint. Publish to a topic that has Lambda subscribers is
// fanned out here, to the same asynchronous invocations the emulator's deliveries reach through
// the bridge; every other call (and a publish to a topic without Lambda subscribers) goes on to
// the emulator. moto signs each message and POSTs it to each HTTP subscriber before its Publish
// returns, some 6 ms of its one Python core a ride: at 100 rides a second that queue, not the
// system, would set RequestRide's latency. Topics and subscriptions still live in the emulator.
type snsFront struct {
	sys   *System
	proxy *httputil.ReverseProxy
}

func newSNSFront(sys *System) (*snsFront, error) {
	target, err := url.Parse(sys.emu.endpoint)
	if err != nil {
		return nil, fmt.Errorf("emulator endpoint %q: %w", sys.emu.endpoint, err)
	}
	return &snsFront{sys: sys, proxy: httputil.NewSingleHostReverseProxy(target)}, nil
}

func (f *snsFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2*maxSNSMessage))
	if err != nil {
		snsError(w, http.StatusBadRequest, "InvalidParameter", "unreadable request")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("Action") == "Publish" {
		if subs := f.sys.bridge.subscribers(form.Get("TopicArn")); len(subs) > 0 {
			f.publish(w, form, subs)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	f.proxy.ServeHTTP(w, r)
}

func (f *snsFront) publish(w http.ResponseWriter, form url.Values, subs []subscription) {
	message := form.Get("Message")
	switch {
	case message == "":
		snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Empty message")
		return
	case len(message) > maxSNSMessage:
		snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message too long")
		return
	}
	id := uuid.NewString()
	entity := events.SNSEntity{Type: "Notification", MessageID: id, TopicArn: form.Get("TopicArn"),
		Subject: form.Get("Subject"), Message: message, Timestamp: time.Now().UTC(), SignatureVersion: "1",
		MessageAttributes: messageAttributes(form)}
	for _, sub := range subs {
		f.sys.bridge.notify(sub, entity)
	}
	f.sys.published(id, entity.TopicArn, message)
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>%s</MessageId></PublishResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></PublishResponse>`, id, uuid.NewString())
}

// messageAttributes reads the query protocol's MessageAttributes.entry.N.{Name,Value.DataType,
// Value.StringValue} into the shape Lambda's SNS event has.
func messageAttributes(form url.Values) map[string]any {
	attrs := map[string]any{}
	for n := 1; ; n++ {
		prefix := "MessageAttributes.entry." + strconv.Itoa(n) + "."
		name := form.Get(prefix + "Name")
		if name == "" {
			return attrs
		}
		attrs[name] = map[string]string{"Type": form.Get(prefix + "Value.DataType"), "Value": form.Get(prefix + "Value.StringValue")}
	}
}

func snsError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var msg bytes.Buffer
	_ = xml.EscapeText(&msg, []byte(message))
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, code, msg.String(), uuid.NewString())
}

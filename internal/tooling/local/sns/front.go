package sns

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// maxSNSMessage is SNS's limit on a message, 256 KB
// (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
const maxSNSMessage = 256 << 10

// front is the functions' SNS endpoint. Publish to a topic that has Lambda subscribers is
// fanned out here, to the same asynchronous invocations the emulator's deliveries reach through
// the bridge; every other call (and a publish to a topic without Lambda subscribers) goes on to
// the emulator. moto signs each message and POSTs it to each HTTP subscriber before its Publish
// returns, some 6 ms of its one Python core a ride: at 100 rides a second that queue, not the
// system, would set RequestRide's latency.
func (s *Service) front(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2*maxSNSMessage))
	if err != nil {
		snsError(w, http.StatusBadRequest, "InvalidParameter", "unreadable request")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err == nil {
		switch action := form.Get("Action"); {
		case action == "Publish" && s.hasSubscribers(form.Get("TopicArn")):
			s.publish(w, form)
			return
		case action == "Subscribe" && IsEmail(form.Get("Protocol")), action == "Unsubscribe":
			s.subscribe(w, r, form, body)
			return
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	s.proxy.ServeHTTP(w, r)
}

func (s *Service) publish(w http.ResponseWriter, form url.Values) {
	message := form.Get("Message")
	switch {
	case message == "":
		snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Empty message")
		return
	case len(message) > maxSNSMessage:
		snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message too long")
		return
	}
	messages := map[string]string{"default": message}
	if form.Get("MessageStructure") == "json" {
		if err := json.Unmarshal([]byte(message), &messages); err != nil || messages["default"] == "" {
			snsError(w, http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
			return
		}
	}
	id := uuid.NewString()
	// The publish is told before any delivery starts, so a watcher never sees an attempt first.
	s.fanOut(events.SNSEntity{Type: "Notification", MessageID: id, TopicArn: form.Get("TopicArn"),
		Subject: form.Get("Subject"), Timestamp: time.Now().UTC(), SignatureVersion: "1",
		MessageAttributes: messageAttributes(form)}, messages)
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

"""One exception type for everything the client reports to people.

``code`` is a code from the shared error catalog (shared/src/errors.ts), so a message from the
server and a failure detected here read the same way.
"""


class BridgeClientError(Exception):
    def __init__(self, code, message, field=None, job_id=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.job_id = job_id

    def __str__(self):
        where = ' (%s)' % self.field if self.field else ''
        return '%s%s [%s]' % (self.message, where, self.code)


def from_error_message(msg):
    """The exception for a server ``error`` message."""
    return BridgeClientError(msg.get('code', 'internal'), msg.get('message', ''), msg.get('field'), msg.get('id'))

#!/usr/bin/python3
"""Types text (and clicks) into a VM's SPICE console, as a user's client would.

    spice-keys.py --uri spice://HOST:PORT [--password P] [--type TEXT]
                  [--scancode HEX]... [--click X,Y [--server-mouse]]
                  [--leds] [--timeout S] [--delay S] [-v]

Connects with SpiceClientGLib (gir1.2-spiceclientglib-2.0), waits for the
inputs channel, sends each character of TEXT as PC/XT set 1 scan codes
(US layout: Shift for capitals and shifted symbols, Enter for a newline),
then each --scancode, and clicks the left button at X,Y of the display
(client mouse mode: an absolute position; server mode: relative motion
from the top-left corner), then waits a moment
for the messages to leave and exits 0. Connection or authentication
failure, or no inputs channel within the timeout: a message on stderr and
a non-zero exit (2 auth or bad arguments, 3 connect, 4 timeout)."""
import argparse
import sys

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib  # noqa: E402

SHIFT = 0x2A  # left shift
# US layout, scan code set 1: character -> (scan code, shift held).
KEYS = {}
for row, first in (("1234567890-=", 0x02), ("qwertyuiop[]", 0x10),
                   ("asdfghjkl;'`", 0x1E), ("zxcvbnm,./", 0x2C)):
    for i, ch in enumerate(row):
        KEYS[ch] = (first + i, False)
KEYS["\\"] = (0x2B, False)
for plain, shifted in zip("1234567890-=[];'`,./\\", '!@#$%^&*()_+{}:"~<>?|'):
    KEYS[shifted] = (KEYS[plain][0], True)
for ch in "abcdefghijklmnopqrstuvwxyz":
    KEYS[ch.upper()] = (KEYS[ch][0], True)
KEYS[" "] = (0x39, False)
KEYS["\n"] = (0x1C, False)
KEYS["\t"] = (0x0F, False)

BUTTON_LEFT = 1       # SPICE_MOUSE_BUTTON_LEFT
BUTTON_MASK_LEFT = 1  # SPICE_MOUSE_BUTTON_MASK_LEFT
MOUSE_MODE_SERVER = 1  # SPICE_MOUSE_MODE_SERVER
MOUSE_MODE_CLIENT = 2  # SPICE_MOUSE_MODE_CLIENT


def scancodes(text):
    """[(scan code, shift)] for text; ValueError names a character with no key."""
    out = []
    for ch in text:
        if ch not in KEYS:
            raise ValueError("no key for %r on a US keyboard" % ch)
        out.append(KEYS[ch])
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uri", help="spice://HOST:PORT")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--password")
    p.add_argument("--type", dest="text", default="",
                   help="text to type (\\n in the shell's $'...' is Enter)")
    p.add_argument("--scancode", action="append", default=[],
                   help="HEX: press and release this set 1 scan code after "
                        "the text (0x3a Caps Lock, 0x148 Up: 0x100 marks an "
                        "0xe0 key); repeatable")
    p.add_argument("--leds", action="store_true",
                   help="print the lock keys the guest reports (SPICE key "
                        "modifiers: 1 scroll, 2 num, 4 caps) as 'leds=N' "
                        "on stdout before leaving. A SPICE client imposes "
                        "its own locks (none, here) on the guest as it "
                        "connects: each run starts with all off")
    p.add_argument("--click", help="X,Y: left click at this display position")
    p.add_argument("--server-mouse", action="store_true",
                   help="ask for server mouse mode (relative motion) "
                        "before clicking, instead of the client mode a "
                        "tablet gets by default")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds to wait for the inputs channel (default 30)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say what happens on stderr")
    p.add_argument("--delay", type=float, default=0.03,
                   help="seconds between keys (default 0.03), so a slow "
                        "guest never has more than a few keys queued")
    a = p.parse_args()
    if not a.uri and not (a.host and a.port):
        p.error("give --uri spice://HOST:PORT or --host and --port")
    if a.click:
        try:
            a.click = tuple(int(v) for v in a.click.split(","))
            assert len(a.click) == 2 and min(a.click) >= 0
        except (ValueError, AssertionError):
            p.error("--click wants X,Y (two non-negative integers), got %r"
                    % a.click)
    try:
        a.keys = scancodes(a.text)
    except ValueError as e:
        p.error("--type: %s" % e)
    try:
        a.scancode = [int(v, 16) for v in a.scancode]
        assert all(0 < v < 0x200 and v & 0xff for v in a.scancode)
    except (ValueError, AssertionError):
        p.error("--scancode wants a set 1 scan code in hex, 0x01 to 0x1ff "
                "(0x100 | code for an 0xe0 key), got %r" % a.scancode)
    a.keys += [(v, False) for v in a.scancode]
    return a


class Typist:
    def __init__(self, args):
        self.args = args
        self.loop = GLib.MainLoop()
        self.status = None
        self.inputs = None
        self.main = None
        self.session = SpiceClientGLib.Session()
        if args.uri:
            self.session.set_property("uri", args.uri)
        else:
            self.session.set_property("host", args.host)
            self.session.set_property("port", str(args.port))
        if args.password is not None:
            self.session.set_property("password", args.password)
        # Session.connect is spice_session_connect: signals go through
        # GObject's.
        GObject.Object.connect(self.session, "channel-new", self.on_channel)

    def say(self, msg):
        if self.args.verbose:
            print("spice-keys: %s" % msg, file=sys.stderr)

    def finish(self, status, msg=None):
        if self.status is None:
            self.status = status
            if msg:
                print("spice-keys: %s" % msg, file=sys.stderr)
            self.loop.quit()
        return False

    def on_channel(self, session, channel):
        GObject.Object.connect(channel, "channel-event", self.on_event)
        if isinstance(channel, SpiceClientGLib.MainChannel):
            self.main = channel
        if isinstance(channel, SpiceClientGLib.InputsChannel):
            self.inputs = channel
            SpiceClientGLib.Channel.connect(channel)

    def on_event(self, channel, event):
        E = SpiceClientGLib.ChannelEvent
        where = self.uri()
        if event == E.ERROR_AUTH:
            self.finish(2, "%s: authentication failed (wrong --password?)"
                        % where)
        elif event in (E.ERROR_CONNECT, E.ERROR_TLS, E.ERROR_LINK,
                       E.ERROR_IO):
            err = channel.get_error()
            self.finish(3, "%s: cannot connect: %s" % (
                where, err.message if err else event.value_nick))
        elif event == E.CLOSED and self.status is None:
            self.finish(3, "%s: the server closed the connection" % where)
        elif event == E.OPENED:
            self.say("%s channel open" % type(channel).__name__)
            if channel is self.main and self.args.server_mouse:
                channel.request_mouse_mode(MOUSE_MODE_SERVER)
        if event == E.OPENED and channel is self.inputs:
            # Connected: typing a long text may take longer than the
            # timeout, which was for getting here.
            GLib.source_remove(self.timer)
            GLib.idle_add(self.send)

    def uri(self):
        a = self.args
        return a.uri or "spice://%s:%d" % (a.host, a.port)

    def send(self):
        """Types the keys one at a time (a GLib timeout between them), then
        the click, then lets the messages drain."""
        keys = list(self.args.keys)
        waits = [0]

        def step():
            if keys:
                code, shift = keys.pop(0)
                if shift:
                    self.inputs.key_press(SHIFT)
                self.inputs.key_press_and_release(code)
                if shift:
                    self.inputs.key_release(SHIFT)
                return True
            if self.args.click:
                if self.args.server_mouse and self.mouse_mode() != \
                        MOUSE_MODE_SERVER and waits[0] < 100:
                    waits[0] += 1  # the server has not switched yet
                    return True
                self.click(*self.args.click)
            self.say("sent %d keys" % len(self.args.keys))
            # The channel writes from the main loop: give it time to
            # flush (and the guest to answer lock keys), then leave.
            GLib.timeout_add(2000 if self.args.leds else 500, self.done)
            return False

        GLib.timeout_add(max(1, int(self.args.delay * 1000)), step)
        return False

    def done(self):
        if self.args.leds:
            print("leds=%d" % self.inputs.get_property("key-modifiers"))
            sys.stdout.flush()
        return self.finish(0)

    def mouse_mode(self):
        return self.main.get_property("mouse-mode") if self.main else 0

    def click(self, x, y):
        mode = self.mouse_mode()
        self.say("click at %d,%d in %s mouse mode" % (
            x, y, "client" if mode == MOUSE_MODE_CLIENT else "server"))
        if mode == MOUSE_MODE_CLIENT:
            self.inputs.position(x, y, 0, 0)
        else:
            # Server mode: relative motion. To the top-left corner first
            # (the device clamps), then to (x, y).
            self.inputs.motion(-65535, -65535, 0)
            self.inputs.motion(x, y, 0)
        self.inputs.button_press(BUTTON_LEFT, BUTTON_MASK_LEFT)
        self.inputs.button_release(BUTTON_LEFT, 0)

    def run(self):
        self.timer = GLib.timeout_add(int(self.args.timeout * 1000),
                                      self.timeout)
        if not SpiceClientGLib.Session.connect(self.session):
            return self.finish(3, "%s: cannot start connecting" % self.uri()) \
                or self.status
        self.loop.run()
        # Close the channels properly (the server logs a reset
        # connection otherwise): they finish in the main loop.
        self.session.disconnect()
        ctx = GLib.MainContext.default()
        deadline = GLib.get_monotonic_time() + 300000
        while GLib.get_monotonic_time() < deadline:
            ctx.iteration(False) or GLib.usleep(10000)
        return self.status

    def timeout(self):
        if self.inputs is None:
            self.finish(4, "%s: no inputs channel within %gs" %
                        (self.uri(), self.args.timeout))
        else:
            self.finish(4, "%s: the inputs channel did not open within %gs"
                        % (self.uri(), self.args.timeout))
        return False


def main():
    args = parse_args()
    status = Typist(args).run()
    sys.exit(1 if status is None else status)


if __name__ == "__main__":
    main()

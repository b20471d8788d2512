// ConcatSeqLoad: the one way ConcatCorpus.load and SeqModel.load meet a server, so both behave alike:
//  - server running: the load commands are sent at once (before load returns, so a caller's own s.sync covers
//    them), then a Routine on the AppClock syncs and calls done.(true);
//  - a server this sclang watches without having booted it (Server.remote: its alive thread runs, the first
//    status reply may not have come): the commands are sent at once, and done.(true) follows once it runs;
//  - server booting: a Routine waits until it runs (at most bootTimeout seconds), then sends and syncs;
//    on a timeout (either case) it posts one error line and calls done.(false);
//  - server neither running nor booting nor watched: one error line at once, done.(false) on the AppClock.
// In every case done is called exactly once, on the AppClock, after the method that called onServer returned
// (never inside it, whether or not that method runs inside a Routine). And a unique temporary path for help
// examples and scripts (*tempPath).

ConcatSeqLoad {
	// Seconds to wait for a booting server before giving up (60).
	classvar <>bootTimeout = 60, tempCount = 0;

	/*
	Send load commands to `server` when it can take them and report when it has them. who: the name posted
	in errors ("ConcatCorpus.load"). send: a Function that sends the commands (allocates Buffers); called once
	when the server is running, never otherwise. done: called once with true (the server has them, after
	sync) or false (posted why), always on the AppClock after onServer has returned. Returns true when the
	commands were sent or will be sent after the boot, false when the server is not running (error posted).
	*/
	*onServer { arg server, who, send, done;
		if(server.isKindOf(Server).not) {
			"%: argument 'server' must be a Server, not %".format(who, server).error;
			this.later(done, false);
			^false
		};
		// a server this sclang watches without having booted it (Server.remote) may not have sent its first
		// status reply yet: it takes the commands now, like a running one
		if(server.serverRunning or: { server.serverBooting.not and: { server.statusWatcher.aliveThread.notNil } }) {
			send.value;
			this.prWhenRunning(server, who, { server.sync; done.value(true) }, { done.value(false) });
			^true
		};
		if(server.serverBooting) {
			this.prWhenRunning(server, who, { send.value; server.sync; done.value(true) }, { done.value(false) });
			^true
		};
		"%: server '%' is not running; boot it first (s.waitForBoot { ... })".format(who, server.name).error;
		this.later(done, false);
		^false
	}

	// In a Routine on the AppClock: wait until server runs (at most bootTimeout s), then onRunning, else one error
	// line and onTimeout.
	*prWhenRunning { arg server, who, onRunning, onTimeout;
		Routine {
			var waited = 0;
			while { server.serverRunning.not and: { waited < bootTimeout } } { 0.1.wait; waited = waited + 0.1 };
			if(server.serverRunning) { onRunning.value } {
				"%: server '%' did not answer within % s (not booted?)".format(who, server.name, bootTimeout).error;
				onTimeout.value
			}
		}.play(AppClock)
	}

	// Call func with value on the AppClock, after the current call has returned (nil func: nothing).
	*later { arg func, value;
		if(func.notNil) { AppClock.sched(0, { func.value(value); nil }) }
	}

	/*
	A path in Platform.defaultTempDir that no other call of this sclang, and no other sclang, returns:
	"concatseq-<pid>-<count>-<name>" (name: a String such as "walk.corpus"; nothing is created). For help
	examples and scripts that write bundles, models and renders, so that none overwrites another.
	*/
	*tempPath { arg name = "tmp";
		tempCount = tempCount + 1;
		^Platform.defaultTempDir +/+ "concatseq-%-%-%".format(thisProcess.pid, tempCount, name)
	}
}

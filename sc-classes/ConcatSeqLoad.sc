// ConcatSeqLoad: the one way ConcatCorpus.load and SeqModel.load meet a server, so both behave alike:
//  - server running: the load commands are sent at once (before load returns, so a caller's own s.sync covers
//    them), then a Routine on the AppClock syncs and calls done.(true);
//  - server booting: a Routine waits for the boot (at most bootTimeout seconds), then does the same; on a
//    timeout it posts one error line and calls done.(false);
//  - server neither running nor booting: one error line at once, done.(false) on the AppClock.
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
		if(server.serverRunning) {
			send.value;
			Routine { server.sync; done.value(true) }.play(AppClock);
			^true
		};
		if(server.serverBooting) {
			Routine {
				var waited = 0;
				while { server.serverRunning.not and: { waited < bootTimeout } } { 0.1.wait; waited = waited + 0.1 };
				if(server.serverRunning) { send.value; server.sync; done.value(true) } {
					"%: server '%' did not finish booting within % s".format(who, server.name, bootTimeout).error;
					done.value(false)
				}
			}.play(AppClock);
			^true
		};
		"%: server '%' is not running; boot it first (s.waitForBoot { ... })".format(who, server.name).error;
		this.later(done, false);
		^false
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

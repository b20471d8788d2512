// ConcatCorpus: a corpus bundle (corpus-tools/BUNDLE.md) in sclang and on the server.
// *build runs the `concatseq analyze` program asynchronously; *load reads the manifest and the unit table and
// loads audio.wav and units.wav into two Buffers; *open reads only the metadata (for NRT Scores, see
// scoreLoadCommands). The unit table is also kept in sclang (a FloatArray) for unitsOf, labelOf and
// descriptorsOf.

ConcatCorpus {
	// Path of the concatseq program, overriding the search (see *findProgram).
	classvar <>program;
	// Largest corpus.json (bytes) and deepest nesting of arrays and objects handed to sclang's JSON parser.
	classvar <>maxManifestBytes = 67108864, <>maxManifestDepth = 32;

	var <dir, <manifest, <table, <server, <audioBuffer, <unitBuffer;
	var <numUnits, <numDescriptors, <stride, <numLabels, <numSources, <sampleRate, <numChannels, <numFrames;
	var labelsOffset, membersOffset, <descriptorNames, centers, scales, <checksum, <labelsFromChecksum, warnedUnloaded = false;

	/*
	The concatseq program: ConcatCorpus.program if set, else the environment variable CONCATSEQ, else
	<this class's folder>/../bin/concatseq (where `cmake --install` puts it: <ext>/ConcatSeq/bin/concatseq),
	else ConcatSeq/bin/concatseq in the user's and then the system's Extensions folder (where the CMake install
	puts it for classes installed as a Quark), else `concatseq` on the PATH. Returns nil (and posts how to fix
	it) when none exists; *programQuiet is the same search without the message.
	*/
	*findProgram {
		var found = this.programQuiet;
		if(found.notNil) { ^found };
		"ConcatCorpus: the concatseq program was not found. Looked at ConcatCorpus.program (%), $CONCATSEQ (%), % and the PATH. Install ConcatSeq with `cmake --install`, or set ConcatCorpus.program = \"/path/to/concatseq\".".format(
			program, "CONCATSEQ".getenv, this.programCandidates[2..].join(", ")).error;
		^nil
	}

	// The paths *findProgram tries in order before the PATH (entries may be nil).
	*programCandidates {
		var sub = "ConcatSeq" +/+ "bin" +/+ "concatseq";
		^[program, "CONCATSEQ".getenv,
			PathName(this.filenameSymbol.asString).pathOnly +/+ ".." +/+ "bin" +/+ "concatseq",
			Platform.userExtensionDir +/+ sub, Platform.systemExtensionDir +/+ sub]
	}

	// The concatseq program as *findProgram finds it, or nil, posting nothing.
	*programQuiet {
		var found = this.programCandidates.detect { |p| p.notNil and: { p.size > 0 } and: { File.exists(p) } };
		if(found.notNil) { ^found };
		found = "command -v concatseq".unixCmdGetStdOut.stripWhiteSpace;
		if(found.size > 0 and: { File.exists(found) }) { ^found };
		^nil
	}

	/*
	Analyse `sources` (a path or an Array of paths: audio files or folders) into the bundle directory `dir`,
	asynchronously. `options`: nil, an Array of command-line words (["--segment", "onset", "--clusters", 8]) or
	an Event/Dictionary (segment: \onset, clusters: 8, force: true, unit_ms: 80 - see *optionWords). The sources
	are passed after `--`, so each is a path even when it starts with - (a source "--force" is a file of that
	name, never the option). Progress lines are posted as they come. When the program ends: with server non-nil
	the bundle is loaded (*load) and action is called with the ConcatCorpus; with server nil action gets the
	directory. On failure posts the program's error (one line) and calls action with nil. Returns the pid, or nil
	(one error line, action called with nil) when the program is missing or an argument is not usable.
	*/
	*build { arg server, sources, dir, options, action;
		var words, who = "ConcatCorpus.build";
		sources = if(sources.isString or: { sources.isKindOf(Symbol) }) { [sources] } { sources.asArray };
		if(sources.isEmpty or: { sources.any { |p| p.isString.not and: { p.isKindOf(Symbol).not } } }) {
			"%: argument 'sources' must be a path or an Array of paths, not %".format(who, sources).error;
			ConcatSeqLoad.later(action, nil); ^nil
		};
		if(dir.isString.not and: { dir.isKindOf(Symbol).not }) {
			"%: argument 'dir' must be the path of the bundle to write, not %".format(who, dir).error;
			ConcatSeqLoad.later(action, nil); ^nil
		};
		words = this.optionWords(options, who);
		if(words.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		if(words.any { |w| w == "-o" or: { w == "--output" } }) {
			"%: the options name an output; give the bundle as argument 'dir'".format(who).error;
			ConcatSeqLoad.later(action, nil); ^nil
		};
		^this.runProgram(["analyze", "-o", dir.asString.standardizePath] ++ words ++ ["--"]
			++ sources.collect { |p| p.asString.standardizePath }, who, { |ok|
				if(ok.not) { action.value(nil) } {
					if(server.notNil) { this.load(server, dir, action) } { action.value(dir) }
				}
			})
	}

	/*
	Run `concatseq COMMAND --progress lines ARGS...` asynchronously (words = [COMMAND] ++ ARGS; the program
	found by *findProgram; --progress goes right after the command, so it stays an option when ARGS end with
	`--` and paths), posting its progress lines as "NAME: stage done total detail" and its other output as it
	comes (polled every 0.25 s). The program's error line ("concatseq COMMAND: error: ...") is not posted as it
	comes: when the program fails, one error line is posted, "NAME: " and that line (or the exit status when the
	program printed none). onExit is called on the AppClock with true when the program exits with status 0, else
	false. Returns the pid, or nil (and onExit.(false)) when the program is missing.
	*/
	*runProgram { arg words, name, onExit;
		var prog = this.findProgram, log, cmd, poll, seen = 0, pid, finished = false, errorLine;
		if(prog.isNil) { onExit.value(false); ^nil };
		words = words.asArray;
		log = Platform.defaultTempDir +/+ "concatseq_%_%.log".format(Main.elapsedTime.asInteger, 1000000.rand);
		cmd = ([prog, words.first, "--progress", "lines"] ++ words.drop(1)).collect { |w| w.asString.shellQuote }.join(" ")
			+ ">" + log.shellQuote + "2>&1";
		poll = { |final = false|
			var text = File.exists(log).if { File.readAllString(log) } { "" };
			var lines;
			if(text.size > seen) {
				lines = text.copyRange(seen, text.size - 1);
				// post only complete lines, unless the program has ended
				if(final.not) { lines = lines.copyRange(0, (lines.findBackwards("\n") ? -1)) };
				seen = seen + lines.size;
				lines.split($\n).do { |l|
					case
					{ l.size == 0 } { }
					{ l.beginsWith("progress ") } { (name ++ ": " ++ l.copyToEnd(9)).postln }
					{ l.beginsWith("concatseq ") and: { l.find(": error: ").notNil } } { errorLine = l }
					{ l.postln }
				};
			};
		};
		pid = cmd.unixCmd({ |code|
			finished = true;
			poll.(true);
			File.delete(log);
			if(code != 0) {
				if(errorLine.notNil) { "%: %".format(name, errorLine).error } {
					"%: concatseq failed (exit code %)".format(name, code).error
				}
			};
			onExit.value(code == 0);
		}, false);
		Routine { while { finished.not } { poll.(false); 0.25.wait } }.play(AppClock);
		^pid
	}

	/*
	The command-line words of `options`: nil gives []; an Event or Dictionary gives, per key in sorted order,
	"--" ++ the key with every _ as - (unit_ms: 80 -> "--unit-ms" "80", the option's name in the program's
	usage), then the value: true is a flag alone, false and nil leave the option out, an Array is joined by
	commas (descriptors: [\loudness, \centroid] -> "loudness,centroid"); an Array is taken as the words
	themselves. Sources and the bundle are not options: a word "--" (which would make the words after it
	paths) is refused. who: the name in the error. Returns an Array of Strings, or nil after one error line.
	*/
	*optionWords { arg options, who = "ConcatCorpus";
		var words = List.new;
		if(options.isNil) { ^[] };
		if(options.isKindOf(Dictionary)) {
			options.keys.asArray.sort.do { |k|
				var v = options[k];
				if(v == true) { words.add("--" ++ k.asString.tr($_, $-)) } {
					if(v != false and: { v.notNil }) {
						words.add("--" ++ k.asString.tr($_, $-));
						words.add(if(v.isString.not and: { v.isKindOf(SequenceableCollection) }) {
							v.collect(_.asString).join(",") } { v.asString })
					}
				}
			};
			words = words.asArray
		} {
			if(options.isKindOf(SequenceableCollection).not or: { options.isString }) {
				"%: argument 'options' must be nil, an Event of options (clusters: 8) or an Array of words, not %".format(
					who, options.cs).error;
				^nil
			};
			words = options.asArray.collect(_.asString)
		};
		if(words.includesEqual("--")) {
			"%: the options contain \"--\"; give paths in the sources (or corpus) argument, not among the options".format(who).error;
			^nil
		};
		^words
	}

	/*
	Read the bundle `dir` (corpus.json and units.wav) and load audio.wav and units.wav into two Buffers on
	`server` (default Server.default). The load commands are sent before load returns when the server is
	running or watched (Server.remote); when it is booting they are sent once it runs (ConcatSeqLoad.bootTimeout); else
	one error line is posted. action is called exactly once, on the AppClock and always after load has
	returned (also inside a Routine): with the ConcatCorpus once the server has both Buffers, or with nil when
	the bundle cannot be read or the server is not running (the reason is posted). Returns the ConcatCorpus
	(its Buffers are usable once action is called), or nil in those two failures.
	*/
	*load { arg server, dir, action;
		var c = this.open(dir);
		server = server ? Server.default;
		if(c.isNil) { ConcatSeqLoad.later(action, nil); ^nil };
		if(ConcatSeqLoad.onServer(server, "ConcatCorpus.load", { c.prSendLoad(server) },
			{ |ok| action.value(if(ok) { c } { nil }) }).not) { ^nil };
		^c
	}

	/*
	Read only the metadata of the bundle `dir` (manifest and unit table), without a server: for NRT Scores
	(see scoreLoadCommands) and for inspection. Returns nil and posts one error line if the bundle is not
	readable: no corpus.json, a manifest too big (maxManifestBytes) or nested too deep (maxManifestDepth) to be
	handed to sclang's JSON parser, a manifest that is not a concatseq-corpus one, descriptor names that are not
	ConcatSeqFormat.descriptorNames, or a unit table that is missing, of another version, or inconsistent.
	*/
	*open { arg dir;
		if(dir.isString.not and: { dir.isKindOf(Symbol).not }) {
			"ConcatCorpus.open: argument 'dir' must be the path of a bundle directory (a String), not %".format(dir.cs).error; ^nil
		};
		^super.new.prOpen(dir.asString.standardizePath)
	}

	/*
	The manifest at `path` parsed (a Dictionary), or an error String. Not sclang's parseJSONFile: that
	primitive crashes the interpreter on deep input (20 000 nested arrays) and now and then corrupts memory
	under garbage-collector pressure; ConcatSeqJSON reads the text in sclang. At most maxManifestBytes bytes
	and maxManifestDepth levels of arrays and objects (a real manifest has 4).
	*/
	*readManifest { arg path;
		var size = File.fileSize(path), text, json;
		if(size.isNil or: { size < 0 }) { ^"cannot read %".format(path) };
		if(size > maxManifestBytes) { ^"% is % bytes; a manifest has at most %".format(path, size, maxManifestBytes) };
		text = File.readAllString(path);
		if(text.isNil) { ^"cannot read %".format(path) };
		json = try { ConcatSeqJSON.parse(text, maxManifestDepth) } { |e| e };
		if(json.isKindOf(Exception)) { ^"% is not a concatseq manifest (%)".format(path, json.what) };
		if(json.isKindOf(Dictionary).not) {
			^"% holds a JSON %, not the object of a concatseq manifest (rebuild the bundle with concatseq analyze)".format(
				path, if(json.isString) { "string" } { if(json.isKindOf(SequenceableCollection)) { "array" } { "value" } })
		};
		^json
	}

	prOpen { arg argDir;
		var json, why;
		dir = argDir;
		if(File.exists(dir +/+ "corpus.json").not) {
			"ConcatCorpus: % is not a corpus bundle (no corpus.json)".format(dir).error; ^nil
		};
		json = this.class.readManifest(dir +/+ "corpus.json");
		if(json.isString) { ("ConcatCorpus: " ++ json).error; ^nil };
		if(json["format"] == "concatseq-partial") {
			("ConcatCorpus: % is a partial bundle (concatseq analyze --partial): merge the parts into a bundle " ++
				"first with `concatseq merge PART... -o BUNDLE`").format(dir).error; ^nil
		};
		if(json["format"] != "concatseq-corpus") {
			"ConcatCorpus: % has no concatseq-corpus manifest".format(dir).error; ^nil
		};
		manifest = json;
		why = this.prReadTable(dir +/+ "units.wav") ?? { this.prReadDescriptors } ?? { this.prReadChecksum };
		if(why.notNil) { ("ConcatCorpus: " ++ why).error; ^nil };
	}

	// Read the unit table (layout: ConcatSeqFormat); nil, or what is wrong with it.
	prReadTable { arg path;
		var f = ConcatSeqFormat, sf, data, h = f.unitTableHeader, need;
		sf = SoundFile.openRead(path);
		if(sf.isNil) { ^"cannot read %".format(path) };
		data = FloatArray.newClear(sf.numFrames * sf.numChannels);
		sf.readData(data);
		sf.close;
		if(data.size < h or: { data[f.utMagic] != f.unitTableMagic }) { ^"% is not a unit table".format(path) };
		if(data[f.utVersion] != f.unitTableVersion) {
			^"% is a version % unit table, these classes read version % (rebuild the bundle with `concatseq analyze --force`)"
			.format(path, data[f.utVersion].asInteger, f.unitTableVersion)
		};
		numUnits = data[f.utNumUnits].asInteger;
		numDescriptors = data[f.utNumDescriptors].asInteger;
		stride = data[f.utStride].asInteger;
		sampleRate = data[f.utSampleRate];
		numChannels = data[f.utChannels].asInteger;
		numFrames = f.join(data[f.utFramesHi], data[f.utFramesLo]);
		numLabels = data[f.utNumLabels].asInteger;
		numSources = data[f.utNumSources].asInteger;
		labelsOffset = f.join(data[f.utLabelsOffsetHi], data[f.utLabelsOffsetLo]).asInteger;
		membersOffset = f.join(data[f.utMembersOffsetHi], data[f.utMembersOffsetLo]).asInteger;
		need = h + (numUnits * stride);
		if(numUnits < 1 or: { numDescriptors < 0 } or: { stride < (f.unitRowFixed + numDescriptors) }
			or: { numLabels < 1 } or: { labelsOffset < need } or: { membersOffset < (labelsOffset + (2 * numLabels)) }
			or: { data.size < (membersOffset + numUnits) }) {
			^"% is inconsistent (% units, stride %, % labels in % floats)".format(path, numUnits, stride, numLabels, data.size)
		};
		table = data;
		^nil
	}

	// The descriptor selection of the manifest (names, centers, scales); nil, or what is wrong with it.
	prReadDescriptors {
		var descs = manifest["descriptors"], known = ConcatSeqFormat.descriptorNames, bad;
		if(descs.isKindOf(SequenceableCollection).not or: { descs.size != numDescriptors }) {
			^"% lists % descriptors; its unit table has %".format(dir +/+ "corpus.json", descs.size, numDescriptors)
		};
		descriptorNames = descs.collect { |d| if(d.isKindOf(Dictionary)) { d["name"].asString.asSymbol } { '' } };
		bad = descriptorNames.reject { |n| known.includes(n) };
		if(bad.notEmpty or: { descriptorNames.asSet.size != descriptorNames.size }) {
			^"% has unknown or repeated descriptor names % (known: %)".format(dir +/+ "corpus.json",
				bad, known.join(", "))
		};
		centers = descs.collect { |d| d["center"].asFloat };
		scales = descs.collect { |d| d["scale"].asFloat };
		^nil
	}

	// The unit-table checksum of the manifest ("fnv1a64:" + 16 lowercase hex digits); nil, or what is wrong.
	prReadChecksum {
		var s = manifest["unit_table_checksum"], hex;
		if(s.isNil) { checksum = nil; ^nil };
		s = s.asString;
		hex = s.copyToEnd(8);
		if(s.beginsWith("fnv1a64:").not or: { hex.size != 16 }
			or: { hex.any { |ch| "0123456789abcdef".includes(ch).not } }) {
			^"% has a malformed unit_table_checksum \"%\" (expected fnv1a64: and 16 lowercase hex digits)".format(
				dir +/+ "corpus.json", s)
		};
		checksum = hex;
		// analyze --labels-from A: the checksum of A, whose labels these units carry (A's models fit them)
		labelsFromChecksum = manifest["clustering"] !? { |c| c["labels_from"] } !? { |l| l["unit_table_checksum"] };
		labelsFromChecksum = labelsFromChecksum !? { |t| t.asString.copyToEnd(8).toLower };
		^nil
	}

	// Send the two Buffer reads to server (ConcatSeqLoad.onServer calls this when the server can take them), then
	// the unit table's check: /cmd concatseqCheck checks the table once, on the server's NRT thread, after the read
	// (the server runs both in order), for every ConcatPlay that reads it (issue 14: no O(units) work per instance
	// on the audio thread).
	prSendLoad { arg argServer;
		server = argServer;
		warnedUnloaded = false;
		audioBuffer = Buffer.read(server, dir +/+ "audio.wav");
		unitBuffer = Buffer.read(server, dir +/+ "units.wav");
		server.sendMsg(\cmd, \concatseqCheck, unitBuffer.bufnum);
	}

	/*
	For an NRT Score: allocates two buffer numbers from `server` (default Server.default; or give bufnums
	audioBufnum, unitBufnum) and returns the Score entries that load the bundle at `time`:
	[[time, [\b_allocRead, audio, path, 0, -1]], [time, [\b_allocRead, units, path, 0, -1]],
	 [time, [\cmd, \concatseqCheck, units]]] (the last checks the unit table once for every ConcatPlay, as load does;
	a sound table renders the same without it, each ConcatPlay then checks the table itself).
	After this, ConcatPlay.ar(n, corpus, ...) uses these buffer numbers.
	*/
	scoreLoadCommands { arg server, time = 0.0, audioBufnum, unitBufnum;
		server = server ? Server.default;
		audioBuffer = Buffer.new(server, numFrames, numChannels, audioBufnum);
		unitBuffer = Buffer.new(server, table.size, 1, unitBufnum);
		^[
			[time, [\b_allocRead, audioBuffer.bufnum, dir +/+ "audio.wav", 0, -1]],
			[time, [\b_allocRead, unitBuffer.bufnum, dir +/+ "units.wav", 0, -1]],
			[time, [\cmd, \concatseqCheck, unitBuffer.bufnum]]
		]
	}

	// Duration of the packed audio in seconds.
	duration { ^numFrames / sampleRate }

	// Label of unit u (an Integer 0..numLabels-1), or nil for a bad unit.
	labelOf { arg u;
		if(u.isNumber.not or: { u < 0 } or: { u >= numUnits }) { ^nil };
		^table[this.prRow(u) + ConcatSeqFormat.rowLabel].asInteger
	}

	// Units of label k, in unit order (an Array of Integers; empty for a bad label).
	unitsOf { arg k;
		var first, count;
		if(k.isNil or: { k < 0 } or: { k >= numLabels }) { ^[] };
		first = table[labelsOffset + (2 * k)].asInteger;
		count = table[labelsOffset + (2 * k) + 1].asInteger;
		^table.copyRange(membersOffset + first, membersOffset + first + count - 1).asArray.collect(_.asInteger)
	}

	// Index in `table` of the first float of unit u's row (u must be a valid unit: see prUnit).
	prRow { arg u; ^ConcatSeqFormat.unitTableHeader + (u.asInteger * stride) }

	// u as an Integer when it is a unit of this corpus (an integral number 0..numUnits-1); else one error line
	// naming `who`, the argument and the valid range, and nil.
	prUnit { arg u, who;
		if(u.isNumber and: { u == u.floor } and: { u >= 0 } and: { u < numUnits }) { ^u.asInteger };
		"ConcatCorpus:%: no unit % in % (argument 'u' must be an Integer 0..%)".format(who, u, this, numUnits - 1).error;
		^nil
	}

	// Start frame of unit u in the packed audio; nil (one error line) when u is not a unit.
	startOf { arg u;
		var r;
		u = this.prUnit(u, "startOf") ?? { ^nil };
		r = this.prRow(u);
		^ConcatSeqFormat.join(table[r + ConcatSeqFormat.rowStartHi], table[r + ConcatSeqFormat.rowStartLo])
	}

	// Length of unit u in frames; nil (one error line) when u is not a unit.
	lengthOf { arg u;
		var r;
		u = this.prUnit(u, "lengthOf") ?? { ^nil };
		r = this.prRow(u);
		^ConcatSeqFormat.join(table[r + ConcatSeqFormat.rowLengthHi], table[r + ConcatSeqFormat.rowLengthLo])
	}

	// Original successor of unit u (-1 at the end of a source); nil (one error line) when u is not a unit.
	successorOf { arg u;
		u = this.prUnit(u, "successorOf") ?? { ^nil };
		^table[this.prRow(u) + ConcatSeqFormat.rowSuccessor].asInteger
	}

	// Normalised descriptors of unit u (as stored in the table; z-scores), an Array of numDescriptors Floats;
	// nil (one error line) when u is not a unit.
	normalisedDescriptorsOf { arg u;
		var r;
		u = this.prUnit(u, "normalisedDescriptorsOf") ?? { ^nil };
		r = this.prRow(u) + ConcatSeqFormat.rowDescriptors;
		^table.copyRange(r, r + numDescriptors - 1).asArray
	}

	// Descriptors of unit u in their own units (raw = normalised * scale + center), an Event keyed by name; nil
	// (one error line) when u is not a unit.
	descriptorsOf { arg u;
		var n, ev = ();
		u = this.prUnit(u, "descriptorsOf") ?? { ^nil };
		n = this.normalisedDescriptorsOf(u);
		descriptorNames.do { |name, i| ev[name] = n[i] * scales[i] + centers[i] };
		^ev
	}

	/*
	The column of descriptor `name` (a Symbol or String of ConcatSeqFormat.descriptorNames) in this corpus's
	rows, or nil; who: the name in the error. Throws an Error naming the valid names when `name` is not a
	descriptor at all, or not one this corpus was analysed with.
	*/
	descriptorIndex { arg name, who = "ConcatCorpus";
		var sym = name.asString.asSymbol, i = descriptorNames.indexOf(sym);
		if(i.notNil) { ^i };
		if(ConcatSeqFormat.descriptorNames.includes(sym).not) {
			Error("%: no descriptor named % (the names: %)".format(who, name, ConcatSeqFormat.descriptorNames.join(", "))).throw
		};
		Error("%: % was analysed without the descriptor % (it has: %)".format(who, dir.basename, name,
			descriptorNames.join(", "))).throw
	}

	// The normalised value of a raw descriptor value (for ConcatPlay's `target`); name as for descriptorIndex.
	normalise { arg name, raw;
		var i = this.descriptorIndex(name, "ConcatCorpus:normalise");
		^(raw - centers[i]) / scales[i]
	}

	/*
	True when the corpus has its Buffers on a server (loaded and not freed). Else, unless quiet, posts one
	line naming `who` - once until the corpus is loaded again, however often it is asked (so a pattern or
	Tidal event stream over a freed corpus gives one message, not one per event) - and returns false.
	*/
	isLoaded { arg who = "ConcatCorpus", quiet = false;
		if(audioBuffer.notNil and: { unitBuffer.notNil }) { ^true };
		if(quiet.not and: { warnedUnloaded.not }) {
			warnedUnloaded = true;
			"%: % is not loaded on a server (freed, or only opened): its events are silent".format(who, this).error;
		};
		^false
	}

	// Audition unit u once (2 channels, centre). Returns the Synth.
	playUnit { arg u, out = 0, amp = 1, pan = 0;
		var dur;
		if(this.isLoaded("ConcatCorpus:playUnit").not) { ^nil };
		if(u.isNil or: { u < 0 } or: { u >= numUnits }) { "ConcatCorpus: no unit %".format(u).error; ^nil };
		dur = this.lengthOf(u) / sampleRate + 0.05;
		^{
			var sig = ConcatPlay.ar(2, [audioBuffer.bufnum, unitBuffer.bufnum], 1, unit: u, amp: amp, pan: pan);
			Line.kr(0, 0, dur, doneAction: 2);
			sig
		}.play(server, out)
	}

	// Free the two Buffers.
	free {
		audioBuffer !? { audioBuffer.free };
		unitBuffer !? { unitBuffer.free };
		audioBuffer = unitBuffer = nil;
	}

	printOn { arg stream;
		stream << "ConcatCorpus(" << dir.basename << ": " << numUnits << " units, " << numLabels << " labels, "
		<< this.duration.round(0.01) << " s)";
	}
}

// ConcatSeqInstall: at class-library start-up, says in one line what of ConcatSeq is missing besides these
// classes - the server plugins (ConcatPlay, SeqPredict, ConcatListen) and the concatseq program - and how to
// build and install them. Classes installed as a Quark (Quarks.install of a checkout, ConcatSeq.quark) come
// without them: they come from the CMake install (cmake --install, with -DCONCATSEQ_INSTALL_CLASSES=OFF so the
// classes are not installed twice).

ConcatSeqInstall {
	// The server plugins ConcatSeq's UGen classes need.
	classvar <plugins = #[\ConcatPlay, \SeqPredict, \ConcatListen];
	// false: no check at start-up (set it in startup.scd before the class library is used; checking is cheap).
	classvar <>checkAtStartup = true;

	*initClass {
		StartUp.add { if(checkAtStartup) { this.check } }
	}

	// The file name of a server plugin on this platform: NAME.so on Linux, NAME.scx on macOS and Windows.
	*pluginFile { arg name; ^name.asString ++ if(thisProcess.platform.name == \linux) { ".so" } { ".scx" } }

	/*
	The folders where scsynth finds these plugins: this class's folder's parent (the layout of the CMake install,
	the plugins in <ext>/ConcatSeq beside <ext>/ConcatSeq/Classes; only that folder itself), then, searched 4 levels deep as
	scsynth searches them, the user's and the system's Extensions folders and Server.default's
	options.ugenPluginsPath when set.
	*/
	*pluginDirs {
		var own = PathName(this.filenameSymbol.asString).pathOnly +/+ "..";
		var deep = [Platform.userExtensionDir, Platform.systemExtensionDir]
			++ (Server.default.tryPerform(\options).tryPerform(\ugenPluginsPath) ? []).asArray
			.collect { |p| p.asString };
		^[own, deep]
	}

	// The plugins of *plugins that are in none of *pluginDirs (an Array of Symbols; empty when all are there).
	*missingPlugins {
		var dirs = this.pluginDirs;
		^plugins.reject { |name|
			var file = this.pluginFile(name);
			File.exists(dirs[0] +/+ file) or: {
				dirs[1].any { |d|
					File.exists(d) and: {
						("find -L " ++ d.shellQuote ++ " -maxdepth 4 -name " ++ file.shellQuote ++ " -print -quit")
						.unixCmdGetStdOut.size > 0 }
				}
			}
		}
	}

	/*
	What is missing, as one line (nil when nothing is): the server plugins not found (see *missingPlugins) and
	whether the concatseq program was not found (ConcatCorpus.programQuiet), with the commands that build and
	install them into the user's Extensions folder from a ConcatSeq checkout.
	*/
	*report {
		var missing = this.missingPlugins, what = List.new;
		if(missing.notEmpty) {
			what.add("the server plugins % (not in % nor in %)".format(missing.collect(this.pluginFile(_)).join(", "),
				this.pluginDirs[0].standardizePath, this.pluginDirs[1].join(", ")))
		};
		if(ConcatCorpus.programQuiet.isNil) { what.add("the concatseq program (not in $CONCATSEQ, ConcatSeq/bin of the Extensions folders, nor on the PATH)") };
		if(what.isEmpty) { ^nil };
		^"ConcatSeq: % % missing: in the ConcatSeq checkout run `cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCONCATSEQ_INSTALL_CLASSES=OFF && cmake --build build && cmake --install build --prefix %`, then reboot the server%".format(
			what.join(" and "), if(what.size == 1) { "is" } { "are" }, Platform.userExtensionDir.shellQuote,
			if(ConcatCorpus.programQuiet.isNil) { " and recompile the class library" } { "" })
	}

	// Post *report as one warning line, if anything is missing. Returns true when everything is there.
	*check {
		var r = this.report;
		if(r.notNil) { r.warn };
		^r.isNil
	}
}

package main

import "io"

// runPlaybook dispatches `parley playbook SUB`.
func runPlaybook(sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	switch sub {
	case "validate":
		return runPlaybookValidate(args, stdout, stderr), true
	case "import":
		return runPlaybookImport(args, stdout, stderr), true
	case "export":
		return runPlaybookExport(args, stdout, stderr), true
	case "try":
		return runPlaybookTry(args, stdin, stdout, stderr), true
	}
	return 0, false
}

"""Pull-request preview: compare two renders object by object, explain why outputs changed
(blast radius), flag risky changes and report it as text, markdown or JSON. Pure: no I/O."""

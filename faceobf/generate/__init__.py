"Stage 3: replace a face - vocabulary, geometry, methods, models, texture, obfuscator."

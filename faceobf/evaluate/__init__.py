"The evaluation, in rooms by question: the measures, the attackers, Table 3, the generators."

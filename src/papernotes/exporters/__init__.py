"""Write the notes in other shapes (``papernotes export …``): ``readme`` — one GitHub README."""
